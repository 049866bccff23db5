"""The sync endpoint: the signed-in client's state in one cheap read."""
