"""The large JPEG of imgproxy's published benchmark workload (a 36-MP camera photo fitted into 500x500),
made here from the corpus so every run measures the same bytes.

The 12-MP phone photo of the corpus is enlarged to 7360x4912 (a 36-MP camera's size) and given seeded
sensor-like noise, so its entropy-coded data is as dense as a real camera file's (an enlarged photo
alone is smooth and decodes unusually fast), then saved as a baseline JPEG at quality 90.
"""

from __future__ import annotations

from pathlib import Path

WIDTH, HEIGHT = 7360, 4912
NOISE_SIGMA = 3.0
SEED = 36
SOURCE = "photo/dog_exif_extended_xmp_icc.jpg"


def camera_jpeg(corpus: Path, out_dir: Path) -> Path:
    """bench/out/photo36.jpg, made once (about 8 MB)."""
    path = out_dir / "photo36.jpg"
    if path.is_file():
        return path
    import numpy as np
    import pyvips

    source = pyvips.Image.new_from_file(str(corpus / SOURCE), access="random").autorot()
    big = source.resize(WIDTH / source.width, vscale=HEIGHT / source.height, kernel="lanczos3")
    pixels = big.numpy().astype(np.int16)
    pixels += np.random.default_rng(SEED).normal(0, NOISE_SIGMA, pixels.shape).astype(np.int16)
    image = pyvips.Image.new_from_array(np.clip(pixels, 0, 255).astype(np.uint8), interpretation="srgb")
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(image.jpegsave_buffer(Q=90, optimize_coding=True, keep="none"))
    tmp.replace(path)
    return path
