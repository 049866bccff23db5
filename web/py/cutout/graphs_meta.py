"""Constants shared by the graph builders (build time) and the conductor
(run time). Kept apart so the engine never imports `onnx`."""

MODEL_SIZE = 1024  # ISNet's input: long side; the short side keeps the photo's aspect
MODEL_MULTIPLE = 32  # ISNet's input sides must be multiples of this (five 2x poolings)
COEF_CHANNELS = 10
BOUNDS_CELL = 8  # working-resolution pixels per cell of the tile-bounds grid
GF_RADIUS = 4  # guided filter radius at the working resolution (long side <= 1024)
LOGIT_CLIP = 8.0  # the guided filter smooths mask logits clipped to +-this (sigmoid(-8) < 0.5/255)
