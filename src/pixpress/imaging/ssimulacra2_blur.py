"""The Gaussian blur of SSIMULACRA2, as the reference `ssimulacra2` package computes it, fast in NumPy.

The reference calls scipy's gaussian_filter (sigma 1.5, truncate 3.33: a sampled kernel of radius 5,
normalised) on planes it holds transposed, after padding their first axis with zeros. In image terms:
zero beyond the left and right edges, reflected (edge pixel repeated) above and below.

Here each pass is a banded matrix product per block of 32 rows or columns: the interior blocks share one
32x42 matrix and run as one batched BLAS call; the first and last blocks get their own matrices with the
border folded in. About 25 ms for a 12-megapixel float32 plane on this machine, against 90 ms for
libvips' float convsep and 1.5 s for scipy in float64.
"""

from __future__ import annotations

import functools

import numpy as np
import numpy.typing as npt

Plane = npt.NDArray[np.float32]

SIGMA = 1.5
RADIUS = 5  # int(3.33 * 1.5 + 0.5)
_BLOCK = 32  # rows or columns per matrix product: the fastest here among 16..64
_TAPS = np.exp(-0.5 * (np.arange(-RADIUS, RADIUS + 1) / SIGMA) ** 2)
_TAPS /= _TAPS.sum()


def blur(plane: Plane, *, out: Plane, scratch: Plane) -> None:
    """Blur a C-contiguous (height, width) float32 plane into `out`; `scratch` is a plane of the same
    shape for the vertical pass. `out` and `scratch` must not overlap `plane`."""
    height, width = plane.shape
    vertical = scratch
    middle, ends = _blocks(height)
    if middle:
        rows = plane[_BLOCK - RADIUS :]
        window = _strided(
            rows, (middle, _BLOCK + 2 * RADIUS, width), (_BLOCK * rows.strides[0], *rows.strides)
        )
        target = vertical[_BLOCK : (middle + 1) * _BLOCK].reshape(middle, _BLOCK, width)
        np.matmul(_interior_matrix(), window, out=target)
    for start, stop in ends:
        first, last, matrix = _edge_matrix(height, start, stop, reflect=True)
        np.matmul(matrix, plane[first:last], out=vertical[start:stop])

    middle, ends = _blocks(width)
    if middle:
        cols = vertical[:, _BLOCK - RADIUS :]
        window = _strided(
            cols, (middle, height, _BLOCK + 2 * RADIUS), (_BLOCK * cols.strides[1], *cols.strides)
        )
        target = out[:, _BLOCK:]
        target_blocks: Plane = np.lib.stride_tricks.as_strided(
            target, shape=(middle, height, _BLOCK), strides=(_BLOCK * target.strides[1], *target.strides)
        )
        np.matmul(window, _interior_matrix().T, out=target_blocks)
    for start, stop in ends:
        first, last, matrix = _edge_matrix(width, start, stop, reflect=False)
        np.matmul(vertical[:, first:last], matrix.T, out=out[:, start:stop])


def _strided(array: Plane, shape: tuple[int, ...], strides: tuple[int, ...]) -> Plane:
    view: Plane = np.lib.stride_tricks.as_strided(array, shape=shape, strides=strides, writeable=False)
    return view


def _blocks(length: int) -> tuple[int, list[tuple[int, int]]]:
    """How many interior blocks (blocks 1..m, whose inputs stay inside the axis), and the (start, stop)
    of the outputs left: the first block, and everything after the interior ones."""
    middle = max(0, (length - RADIUS) // _BLOCK - 1)
    if not middle:
        return 0, [(0, length)]
    return middle, [(0, _BLOCK), ((middle + 1) * _BLOCK, length)]


@functools.cache
def _interior_matrix() -> Plane:
    """Outputs 0..31 of a block from its inputs -5..36."""
    matrix = np.zeros((_BLOCK, _BLOCK + 2 * RADIUS), dtype=np.float32)
    for row in range(_BLOCK):
        matrix[row, row : row + 2 * RADIUS + 1] = _TAPS
    return matrix


@functools.lru_cache(maxsize=256)
def _edge_matrix(length: int, start: int, stop: int, *, reflect: bool) -> tuple[int, int, Plane]:
    """Outputs start..stop-1 from the inputs they reach, first..last-1, with the border folded in."""
    first, last = max(0, start - RADIUS), min(length, stop + RADIUS)
    matrix = np.zeros((stop - start, last - first), dtype=np.float64)
    for target in range(start, stop):
        for offset in range(-RADIUS, RADIUS + 1):
            source = target + offset
            if not 0 <= source < length:
                if not reflect:
                    continue  # zero beyond the border
                source = -source - 1 if source < 0 else 2 * length - 1 - source
            matrix[target - start, source - first] += _TAPS[offset + RADIUS]
    return first, last, matrix.astype(np.float32)


@functools.lru_cache(maxsize=64)
def border_weights(width: int) -> tuple[npt.NDArray[np.intp], Plane]:
    """The columns where the blur of a constant plane is not that constant (the zero padding reaches
    them), and the blur of ones there: (columns, weights)."""
    columns = [c for c in range(width) if c < RADIUS or c >= width - RADIUS]
    weights = [
        sum(_TAPS[j + RADIUS] for j in range(-RADIUS, RADIUS + 1) if 0 <= c + j < width) for c in columns
    ]
    return np.array(columns, dtype=np.intp), np.array(weights, dtype=np.float32)
