"""Coded errors. The code is stable (UI and CLI map it to a sentence); the
message carries the specifics."""


class CutoutError(Exception):
    """An error a person can act on, identified by a stable `code`."""

    MESSAGES = {
        "decode_failed": "This file could not be read as an image.",
        "empty_file": "This file is empty.",
        "image_too_large": "This image has more pixels than the app can process.",
        "image_too_small": "This image is too small to cut out.",
        "model_missing": "The cutout model is not installed. Run the build first.",
        "model_corrupt": "The cutout model file is damaged or was modified.",
        "backend_unavailable": "No compute backend could run the model.",
        "out_of_memory": "The device ran out of memory for this image.",
        "cancelled": "The job was cancelled.",
        "bad_option": "An option has an invalid value.",
    }

    def __init__(self, code: str, detail: str = ""):
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)

    @property
    def sentence(self) -> str:
        """Plain sentence for people, with the detail when there is one."""
        base = self.MESSAGES.get(self.code, "Something went wrong.")
        return f"{base} ({self.detail})" if self.detail else base
