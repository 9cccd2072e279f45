"""SSIMULACRA2, the perceptual score the quality search aims at, in vectorised float32 NumPy.

It follows the reference `ssimulacra2` package (PyPI, 0.3.0) step by step:

1. 8-bit sRGB -> linear RGB (a 256-entry table).
2. Up to six scales, halving the linear RGB with a 2x2 box average (an odd last row or column averages
   the pixels it has). At each: linear RGB -> XYB (opsin matrix, cube root), shifted positive; then per
   XYB channel the means, variances and covariance of both images from a Gaussian blur
   (ssimulacra2_blur: sigma 1.5, the reference's kernel and borders).
3. From those, the SSIM error map and the edge maps (ringing: edges the original lacks; blurring: edges
   the distorted lost), each pooled by its mean (1-norm) and 4-norm.
4. 108 weights and a polynomial turn the pooled values into the score: 100 is identical, 90 visually
   lossless, 80 very high quality, 70 high quality, below 50 visibly damaged.

Faster than the reference (float64, scipy) by about 30x: float32 in place, a blur made of matrix
products, and no work for terms whose weight is under MIN_WEIGHT. 27 of the 108 weights lie between
0.0001 and 0.0021 (the next is 0.285) and their terms move a score by about a thousandth of a point;
skipping them skips the X and B channels at full resolution and the whole sixth scale. With
`min_weight=0` every term is computed. A `Reference` keeps what depends on the original only, so the
quality search pays for it once and then about half as much per candidate.

How the time is kept down (bench/ssimulacra2_speed.py measures it):
- A score allocates nothing large: the planes it writes (a _Workspace) are allocated with the
  Reference and reused, so no score pays for page faults of fresh memory (at 12 MP they cost as much
  CPU time as the arithmetic).
- At each scale the XYB channels in use are one stack of planes, and so are the products the blur
  needs (img^2 and ref*img): one blur call and one call per arithmetic step for all of them.
- Where a plane is made from the one above (table lookup, opsin mix, cube root, box average) the work
  goes in strips of rows that stay in cache, and the full-resolution linear RGB is never stored.

Images with alpha are scored as a browser shows them: composited on white and on black, the worse score
counts (the reference drops alpha). An image under 8x8 has no scale to compare and scores 100, as in the
reference; with fewer than six scales the weights are read in the reference's running order.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyvips

from pixpress.errors import InvalidImage
from pixpress.imaging.metric.ssimulacra2_blur import blur, border_weights, scratch_size

Plane = npt.NDArray[np.float32]
Pixels = npt.NDArray[np.uint8]  # (height, width, 3) sRGB

NUM_SCALES = 6
MIN_SIZE_PX = 8  # a scale smaller than this in either direction is not compared
MIN_WEIGHT = 0.01  # terms weighted less than this are not computed (see above)

_C2 = 0.0009
_OPSIN = np.array(
    [
        [0.30, 1.0 - 0.078 - 0.30, 0.078],
        [0.23, 1.0 - 0.078 - 0.23, 0.078],
        [0.24342268924547819, 0.20476744424496821, 1.0 - 0.24342268924547819 - 0.20476744424496821],
    ],
    dtype=np.float32,
)
# The first two rows divided by 8, so that their cube roots come out halved: X and Y need 7 (c0 - c1)
# and (c0 + c1) / 2, and one multiplication by a power of two less is one pass over a plane less.
_OPSIN_HALF_ROOTS = _OPSIN * np.array([[0.125], [0.125], [1.0]], dtype=np.float32)
_OPSIN_BIAS = 0.0037930732552754493
_CBRT_BIAS = _OPSIN_BIAS ** (1.0 / 3.0)
_X, _Y, _B = 0, 1, 2
_XYB_SHIFT = {_X: 0.42, _Y: 0.01 - _CBRT_BIAS, _B: 0.55}  # the reference's, to make XYB positive
_SSIM, _RINGING, _BLURRING = 0, 1, 2
_Terms = tuple[tuple[float, int, int], ...]  # (weight, map: _SSIM/_RINGING/_BLURRING, norm: 1 or 4)
_BACKGROUNDS = (255.0, 0.0)  # white, black
_STRIP_BYTES = 1 << 19  # linear RGB per strip when making XYB planes: stays in L2

# The reference's weights in its order: channel, scale, norm, then (SSIM, ringing, blurring).
# fmt: off
_WEIGHTS = (
    0.0, 0.0007376606707406586, 0.0,  # X scale 0 1-norm
    0.0, 0.0007793481682867309, 0.0,  # X scale 0 4-norm
    0.0, 0.0004371155730107379, 0.0,  # X scale 1 1-norm
    1.1041726426657346, 0.00066284834129271, 0.00015231632783718752,  # X scale 1 4-norm
    0.0, 0.0016406437456599754, 0.0,  # X scale 2 1-norm
    1.8422455520539298, 11.441172603757666, 0.0,  # X scale 2 4-norm
    0.0007989109436015163, 0.000176816438078653, 0.0,  # X scale 3 1-norm
    1.8787594979546387, 10.94906990605142, 0.0,  # X scale 3 4-norm
    0.0007289346991508072, 0.9677937080626833, 0.0,  # X scale 4 1-norm
    0.00014003424285435884, 0.9981766977854967, 0.00031949755934435053,  # X scale 4 4-norm
    0.0004550992113792063, 0.0, 0.0,  # X scale 5 1-norm
    0.0013648766163243398, 0.0, 0.0,  # X scale 5 4-norm
    0.0, 0.0, 0.0,  # Y scale 0 1-norm
    7.466890328078848, 0.0, 17.445833984131262,  # Y scale 0 4-norm
    0.0006235601634041466, 0.0, 0.0,  # Y scale 1 1-norm
    6.683678146179332, 0.00037724407979611296, 1.027889937768264,  # Y scale 1 4-norm
    225.20515300849274, 0.0, 0.0,  # Y scale 2 1-norm
    19.213238186143016, 0.0011401524586618361, 0.001237755635509985,  # Y scale 2 4-norm
    176.39317598450694, 0.0, 0.0,  # Y scale 3 1-norm
    24.43300999870476, 0.28520802612117757, 0.0004485436923833408,  # Y scale 3 4-norm
    0.0, 0.0, 0.0,  # Y scale 4 1-norm
    34.77906344483772, 44.835625328877896, 0.0,  # Y scale 4 4-norm
    0.0, 0.0, 0.0,  # Y scale 5 1-norm
    0.0, 0.0, 0.0,  # Y scale 5 4-norm
    0.0, 0.0008680556573291698, 0.0,  # B scale 0 1-norm
    0.0, 0.0, 0.0,  # B scale 0 4-norm
    0.0, 0.0005313191874358747, 0.0,  # B scale 1 1-norm
    0.00016533814161379112, 0.0, 0.0,  # B scale 1 4-norm
    0.0, 0.0, 0.0,  # B scale 2 1-norm
    0.0004179171803251336, 0.0017290828234722833, 0.0,  # B scale 2 4-norm
    0.0020827005846636437, 0.0, 0.0,  # B scale 3 1-norm
    8.826982764996862, 23.19243343998926, 0.0,  # B scale 3 4-norm
    95.1080498811086, 0.9863978034400682, 0.9834382792465353,  # B scale 4 1-norm
    0.0012286405048278493, 171.2667255897307, 0.9807858872435379,  # B scale 4 4-norm
    0.0, 0.0, 0.0,  # B scale 5 1-norm
    0.0005130064588990679, 0.0, 0.00010854057858411537,  # B scale 5 4-norm
)
# fmt: on


def _srgb_to_linear_lut() -> npt.NDArray[np.float32]:
    """sRGB byte -> linear RGB plus the opsin bias: each row of the opsin matrix sums to 1, so mixing
    biased values adds the bias, and box averages keep it."""
    v = np.arange(256, dtype=np.float64) / 255.0
    linear = np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)
    return (linear + _OPSIN_BIAS).astype(np.float32)


_LUT = _srgb_to_linear_lut()


def score(reference: pyvips.Image, distorted: pyvips.Image) -> float:
    """SSIMULACRA2 of `distorted` against `reference`, two images of the same size: 8-bit sRGB, or
    anything libvips converts to it (grey, 16-bit). With alpha on either side, the worse of the scores
    on a white and on a black background."""
    return Reference(reference).score(distorted)


def score_bytes(reference: bytes, distorted: bytes) -> float:
    """`score` of two encoded images (any format libvips decodes; EXIF orientation is not applied).
    Raises InvalidImage when one does not decode."""
    return Reference.from_bytes(reference).score_bytes(distorted)


def score_pixels(reference: Pixels, distorted: Pixels, *, min_weight: float = MIN_WEIGHT) -> float:
    """The score of two (height, width, 3) uint8 sRGB arrays; `min_weight=0` computes every term."""
    return _PreparedPixels(reference, min_weight).score(distorted)


class Reference:
    """An original prepared once, to score several distorted versions of it (the quality search).

    It holds about 26 bytes per pixel of float32 planes (twice that when alpha needs both backgrounds)
    and, from the preparation on, a workspace of about 31 more that every score reuses, so that a score
    allocates nothing large (12 MP: 320 + 380 MB, held as long as the Reference; before the workspace,
    a score allocated about 46 bytes per pixel while it ran). Scoring from several threads at once is
    safe: a thread that finds the workspace busy gets a fresh one for its score."""

    def __init__(self, image: pyvips.Image) -> None:
        self._image = _to_srgb8(image)
        self.width: int = self._image.width
        self.height: int = self._image.height
        self._prepared: dict[float | None, _PreparedPixels] = {}
        self._workspaces = _Workspaces(self.height, self.width, MIN_WEIGHT)  # shared by the backgrounds

    @classmethod
    def from_bytes(cls, data: bytes) -> Reference:
        """Raises InvalidImage when `data` does not decode."""
        return cls(_decode(data))

    def score(self, distorted: pyvips.Image) -> float:
        if (distorted.width, distorted.height) != (self.width, self.height):
            size = f"{distorted.width}x{distorted.height}"
            raise ValueError(f"distorted image is {size}, reference {self.width}x{self.height}")
        distorted = _to_srgb8(distorted)
        if not (self._image.hasalpha() or distorted.hasalpha()):
            return self._prepare(None).score_image(distorted)
        return min(
            self._prepare(background).score_image(_flatten(distorted, background))
            for background in _BACKGROUNDS
        )

    def score_bytes(self, distorted: bytes) -> float:
        """Raises InvalidImage when `distorted` does not decode."""
        return self.score(_decode(distorted))

    def prepare(self) -> None:
        """Do now what the first score would (e.g. in another thread while the first candidate encodes)."""
        for background in _BACKGROUNDS if self._image.hasalpha() else (None,):
            self._prepare(background)

    def _prepare(self, background: float | None) -> _PreparedPixels:
        if not self._image.hasalpha():
            background = None  # the same pixels on any background
        if background not in self._prepared:
            image = self._image if background is None else _flatten(self._image, background)
            self._prepared[background] = _PreparedPixels(_rgb(image), MIN_WEIGHT, self._workspaces)
        return self._prepared[background]


def _decode(data: bytes) -> pyvips.Image:
    try:
        # Decoded into memory now, so that a broken file fails here and not halfway through a score;
        # a truncated file fails too, rather than being scored with its missing part filled in.
        return pyvips.Image.new_from_buffer(data, "", fail_on="truncated").copy_memory()
    except pyvips.Error as exc:
        raise InvalidImage("The image could not be decoded.") from exc


def _to_srgb8(image: pyvips.Image) -> pyvips.Image:
    if image.bands < 3 or image.format != "uchar" or image.interpretation == "cmyk":
        image = image.colourspace("srgb")
    return image if image.format == "uchar" else image.cast("uchar")


def _flatten(image: pyvips.Image, background: float) -> pyvips.Image:
    if not image.hasalpha():
        return image
    return image.flatten(background=[background] * (image.bands - 1)).cast("uchar")


def _rgb(image: pyvips.Image) -> Pixels:
    pixels: Pixels = image.extract_band(0, n=3).numpy()
    return pixels


def _write_rgb(image: pyvips.Image, out: Pixels) -> Pixels:
    """The first three bands of an 8-bit image, rendered by libvips straight into `out`, a C-contiguous
    (height, width, 3) array: `.numpy()` would allocate a fresh array per score."""
    height, width, _ = out.shape
    target = pyvips.Image.new_from_memory(out.data, width, height, 3, "uchar")
    (image if image.bands == 3 else image.extract_band(0, n=3)).write(target)
    return out


@dataclass(frozen=True)
class _Scale:
    """What is computed at one scale. Its channels are ordered so that those with SSIM terms come first
    and those with edge terms last (one with both sits in between): each group is a slice of the stack
    of planes, and each step runs once on the whole group."""

    height: int
    width: int
    channels: tuple[int, ...]  # _X, _Y, _B
    ssim: int  # channels[:ssim] have SSIM terms
    edge: int  # channels[edge:] have edge terms
    terms: tuple[tuple[float, int, int, int], ...]  # (weight, index in channels, map, norm)

    @property
    def stack(self) -> int:
        """Planes of the stack: the XYB channels, then img^2 and ref*img of the SSIM ones (two planes at
        least: the edge maps use two as scratch once the blur has read them)."""
        return len(self.channels) + max(2 * self.ssim, 2)

    @property
    def blurred(self) -> int:
        return len(self.channels) + 2 * self.ssim


@functools.lru_cache(maxsize=64)
def _layout(height: int, width: int, min_weight: float) -> tuple[_Scale, ...]:
    """The scales up to the last with a term to compute."""
    plan = _plan(_scale_count(width, height), min_weight)
    last = max((scale for scale, terms in enumerate(plan) if any(terms)), default=-1)
    scales = []
    for terms_by_channel in plan[: last + 1]:
        kinds = [{kind for _, kind, _ in terms} for terms in terms_by_channel]
        ssim = [c for c in range(3) if _SSIM in kinds[c]]
        edge = [c for c in range(3) if kinds[c] & {_RINGING, _BLURRING}]
        channels = (
            [c for c in ssim if c not in edge]
            + [c for c in ssim if c in edge]
            + [c for c in edge if c not in ssim]
        )
        terms = tuple(
            (weight, channels.index(channel), kind, norm)
            for channel in channels
            for weight, kind, norm in terms_by_channel[channel]
        )
        scales.append(_Scale(height, width, tuple(channels), len(ssim), len(channels) - len(edge), terms))
        height, width = (height + 1) // 2, (width + 1) // 2
    return tuple(scales)


class _Workspace:
    """Every plane a score writes, allocated once and reused by each score of the same original."""

    def __init__(self, height: int, width: int, layout: tuple[_Scale, ...]) -> None:
        self.rgb: Pixels = np.empty((height, width, 3), dtype=np.uint8)  # the distorted image, decoded
        # linear[s]: linear RGB at scale s >= 1, the box average of scale s - 1 (scale 0 is made in
        # strips from rgb: linear[0] is empty)
        self.linear: list[Plane] = [
            np.empty((3, s.height, s.width) if index else (3, 0, 0), dtype=np.float32)
            for index, s in enumerate(layout)
        ]
        self._stack = np.empty(max((s.stack * s.height * s.width for s in layout), default=0), np.float32)
        self._blurred = np.empty(max((s.blurred * s.height * s.width for s in layout), default=0), np.float32)
        # Preparing blurs img and img^2, scoring img, img^2 and ref*img: strips of different heights.
        blur_scratch = (
            scratch_size((planes, s.height, s.width))
            for s in layout
            if s.channels
            for planes in (len(s.channels) + s.ssim, s.blurred)
        )
        self.blur_scratch = np.empty(max(blur_scratch, default=0), dtype=np.float32)
        # Strips: their linear RGB (scale 0 only: the other scales have theirs in self.linear), the
        # opsin mixes, the row sums of a box average.
        self.strip_rows = max(2, _STRIP_BYTES // (12 * width) // 2 * 2)  # even: box averages pair rows
        self.strip_linear = np.empty((3, self.strip_rows * width), dtype=np.float32)
        self.strip_mixed = np.empty((3, self.strip_rows * width), dtype=np.float32)
        self.strip_sums = np.empty((3, self.strip_rows // 2 * width), dtype=np.float32)

    def stack(self, scale: _Scale) -> Plane:
        size = scale.stack * scale.height * scale.width
        planes: Plane = self._stack[:size].reshape(scale.stack, scale.height, scale.width)
        return planes

    def blurred(self, scale: _Scale) -> Plane:
        size = scale.blurred * scale.height * scale.width
        planes: Plane = self._blurred[:size].reshape(scale.blurred, scale.height, scale.width)
        return planes


class _Workspaces:
    """The workspace of one original, kept between scores; a thread that finds it in use (scores at
    the same time) gets a fresh one."""

    def __init__(self, height: int, width: int, min_weight: float) -> None:
        self._size = (height, width, _layout(height, width, min_weight))
        self._kept: _Workspace | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def get(self) -> Iterator[_Workspace]:
        if not self._lock.acquire(blocking=False):
            yield _Workspace(*self._size)
            return
        try:
            if self._kept is None:
                self._kept = _Workspace(*self._size)
            yield self._kept
        finally:
            self._lock.release()


@dataclass(frozen=True)
class _ScaleReference:
    """What the original contributes at one scale, stacked in the scale's channel order. The planes are
    centred on `offsets` (each plane's mean) for float32 precision: variances are small differences of
    large squares, and mean-centring keeps the squares small. Near the left and right edges, where the
    reference's zero padding makes blurs not shift-invariant, _uncentre_* restore the exact values."""

    offsets: Plane  # (channels, 1, 1)
    img: Plane  # img - offset, the SSIM channels
    mu: Plane  # blur(img - offset), the SSIM channels
    variance: Plane  # blur(img^2) - blur(img)^2 + C2, the SSIM channels
    edge: Plane  # 1 + |img - blur(img)|, the edge channels


class _PreparedPixels:
    """The original's planes per scale, for the terms `min_weight` keeps."""

    def __init__(self, rgb: Pixels, min_weight: float, workspaces: _Workspaces | None = None) -> None:
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected a (height, width, 3) array, got {rgb.shape}")
        self.shape = rgb.shape
        self._rgb = rgb
        self._layout = _layout(rgb.shape[0], rgb.shape[1], min_weight)
        self._workspaces = workspaces or _Workspaces(rgb.shape[0], rgb.shape[1], min_weight)
        with self._workspaces.get() as work:
            self._scales = [
                _prepare_scale(scale, stack, offsets, work)
                for scale, stack, offsets in _xyb_scales(rgb, self._layout, None, work)
            ]

    def score(self, rgb: Pixels) -> float:
        if rgb.shape != self.shape:
            raise ValueError(f"distorted pixels are {rgb.shape}, reference {self.shape}")
        with self._workspaces.get() as work:
            return self._score(rgb, work)

    def score_image(self, image: pyvips.Image) -> float:
        """The score of an 8-bit image of the same size, decoded into the workspace."""
        with self._workspaces.get() as work:
            return self._score(_write_rgb(image, work.rgb), work)

    def _score(self, rgb: Pixels, work: _Workspace) -> float:
        if _equal(rgb, self._rgb):
            return 100.0  # as in the reference; float32 would give 99.99x
        total = 0.0
        offsets = [ref.offsets for ref in self._scales]
        xyb = _xyb_scales(rgb, self._layout, offsets, work)
        for ref, (scale, stack, _) in zip(self._scales, xyb, strict=True):
            total += _scale_total(scale, ref, stack, work)
        return _final_score(total)


def _equal(a: Pixels, b: Pixels) -> bool:
    """np.array_equal in strips: no image-sized temporary, and two different images (the usual case)
    usually differ in the first strip."""
    rows = max(1, _STRIP_BYTES // (3 * a.shape[1]))
    return all(np.array_equal(a[row : row + rows], b[row : row + rows]) for row in range(0, a.shape[0], rows))


def _prepare_scale(scale: _Scale, stack: Plane, offsets: Plane, work: _Workspace) -> _ScaleReference:
    """The original's planes at one scale from its XYB planes minus `offsets`, stack[:channels]."""
    count, ssim, edge = len(scale.channels), scale.ssim, scale.edge
    img = stack[:count]
    np.multiply(img[:ssim], img[:ssim], out=stack[count : count + ssim])
    blurred = work.blurred(scale)[: count + ssim]
    if count:
        blur(stack[: count + ssim], out=blurred, scratch=work.blur_scratch)
    mu = blurred[:count]
    variance = blurred[count:]
    variance -= np.multiply(mu[:ssim], mu[:ssim], out=stack[count : count + ssim])
    _uncentre_covariance(variance, mu[:ssim], mu[:ssim], offsets[:ssim])
    variance += _C2
    deviation = np.subtract(img[edge:], mu[edge:])  # kept: a new array
    _uncentre_deviation(deviation, offsets[edge:])
    np.abs(deviation, out=deviation)
    deviation += 1.0
    return _ScaleReference(offsets, img[:ssim].copy(), mu[:ssim].copy(), variance.copy(), deviation)


def _xyb_scales(
    rgb: Pixels, layout: tuple[_Scale, ...], offsets: Sequence[Plane] | None, work: _Workspace
) -> Iterator[tuple[_Scale, Plane, Plane]]:
    """Per scale, its stack with the XYB planes minus `offsets` in front, and the offsets. Without
    offsets (preparing the original) they are the planes' means. The stack is the same memory at every
    scale: each must be used up before the next is asked for."""
    for index, scale in enumerate(layout):
        stack = work.stack(scale)
        img = stack[: len(scale.channels)]
        following = work.linear[index + 1] if index + 1 < len(layout) else None
        source = rgb if index == 0 else None  # the other scales start from work.linear[index]
        offset = np.zeros((len(scale.channels), 1, 1), np.float32) if offsets is None else offsets[index]
        _xyb(source, work.linear[index], scale, offset, out=img, half=following, work=work)
        if offsets is None:
            means = [plane.mean(dtype=np.float64) for plane in img]
            offset = np.array(means, dtype=np.float32).reshape(-1, 1, 1)
            img -= offset
        yield scale, stack, offset


def _xyb(
    rgb: Pixels | None,
    linear: Plane,
    scale: _Scale,
    offsets: Plane,
    *,
    out: Plane,
    half: Plane | None,
    work: _Workspace,
) -> None:
    """The scale's XYB planes minus `offsets` into `out`, and when `half` is given the next scale's
    linear RGB into it, in strips of rows. The source is `rgb`, (height, width, 3) uint8 sRGB, when
    given (scale 0), else `linear`, planes of linear RGB."""
    height, width = scale.height, scale.width
    rows = max(2, work.strip_rows * work.rgb.shape[1] // width // 2 * 2)  # narrower scales: more rows
    for start in range(0, height, rows):
        stop = min(height, start + rows)
        if rgb is not None:
            strip = work.strip_linear[:, : (stop - start) * width].reshape(3, stop - start, width)
            for band in range(3):
                # mode="clip" skips the bounds check (a byte cannot be out of bounds) and its buffering.
                np.take(_LUT, rgb[start:stop, :, band], out=strip[band], mode="clip")
        else:
            strip = linear[:, start:stop]
        if half is not None:
            _half(strip, out=half[:, start // 2 : (stop + 1) // 2], sums=work.strip_sums)
        if scale.channels:
            _mix(strip, scale, offsets, out=out[:, start:stop], mixed=work.strip_mixed)


def _half(linear: Plane, *, out: Plane, sums: Plane) -> None:
    """2x2 box average of (3, rows, width) linear RGB into `out`; an odd last row or column averages
    the pixels it has (counted twice, as the reference's edge padding does)."""
    _, height, width = linear.shape
    pairs, odd_row = divmod(height, 2)
    rows: Plane = sums[:, : out.shape[1] * width].reshape(3, out.shape[1], width)
    np.add(linear[:, 0 : 2 * pairs : 2], linear[:, 1 : 2 * pairs : 2], out=rows[:, :pairs])
    if odd_row:
        np.add(linear[:, -1], linear[:, -1], out=rows[:, -1])
    pairs, odd_column = divmod(width, 2)
    np.add(rows[:, :, 0 : 2 * pairs : 2], rows[:, :, 1 : 2 * pairs : 2], out=out[:, :, :pairs])
    if odd_column:
        np.add(rows[:, :, -1], rows[:, :, -1], out=out[:, :, -1])
    out *= 0.25


def _mix(linear: Plane, scale: _Scale, offsets: Plane, *, out: Plane, mixed: Plane) -> None:
    """The reference's positive XYB of (3, rows, width) linear RGB (+ bias) minus `offsets` into `out`,
    the scale's channels in its order: with c = cbrt(opsin mix), X = 7 (c0 - c1) + 0.42,
    Y = (c0 + c1) / 2 - cbrt(bias) + 0.01, B = c2 - (c0 + c1) / 2 + 0.55. The steps round as those of
    the implementation before the strips did (scaled by a power of two: the same values), so that
    scores did not move; the offsets are subtracted last, as when they were a separate step."""
    _, rows, width = linear.shape
    # The bias is in the linear values already; they are positive, and so are the coefficients: the
    # reference's clamp at zero never applies.
    count = 3 if _B in scale.channels else 2
    roots = mixed[:count, : rows * width]
    np.matmul(_OPSIN_HALF_ROOTS[:count], linear.reshape(3, rows * width), out=roots)
    np.cbrt(roots, out=roots)
    half0, half1 = roots[0].reshape(rows, width), roots[1].reshape(rows, width)  # c0 / 2, c1 / 2
    np.add(half0, half1, out=half0)  # (c0 + c1) / 2
    for i, channel in enumerate(scale.channels):
        plane = out[i]
        if channel == _X:
            np.multiply(half1, -2.0, out=plane)
            plane += half0  # (c0 - c1) / 2, rounded as (c0 + c1) - 2 c1
            plane *= 14.0
            plane += _XYB_SHIFT[_X]
        elif channel == _Y:
            np.add(half0, _XYB_SHIFT[_Y], out=plane)
        else:
            np.subtract(roots[2].reshape(rows, width), half0, out=plane)
            plane += _XYB_SHIFT[_B]
        plane -= offsets[i, 0, 0]


def _scale_total(scale: _Scale, ref: _ScaleReference, stack: Plane, work: _Workspace) -> float:
    """The weighted sum of one scale's terms; stack[:channels] holds the distorted XYB planes minus the
    original's offsets."""
    count, ssim, edge = len(scale.channels), scale.ssim, scale.edge
    if not count:
        return 0.0
    img = stack[:count]
    np.multiply(img[:ssim], img[:ssim], out=stack[count : count + ssim])
    np.multiply(ref.img, img[:ssim], out=stack[count + ssim : count + 2 * ssim])
    blurred = work.blurred(scale)
    blur(stack[: count + 2 * ssim], out=blurred, scratch=work.blur_scratch)
    # From here on the stack past the channels is free: the blur has read the products.
    free = stack[count:]
    needed = {(index, kind, norm) for _, index, kind, norm in scale.terms}
    pooled: dict[tuple[int, int, int], float] = {}
    if edge < count:
        # (1 + |img - mu|) / (1 + |ref - ref mu|) - 1: above 0 ringing, below 0 blurring
        ratio = np.subtract(img[edge:], blurred[edge:count], out=img[edge:])
        _uncentre_deviation(ratio, ref.offsets[edge:])
        np.abs(ratio, out=ratio)
        ratio += 1.0
        ratio /= ref.edge
        ratio -= 1.0
        for index in range(edge, count):
            plane = ratio[index - edge]
            if any((index, _RINGING, norm) in needed for norm in (1, 4)):
                ringing = np.maximum(plane, 0.0, out=free[0])
                pooled.update(_pool(ringing, index, _RINGING, needed, free[1]))
            if any((index, _BLURRING, norm) in needed for norm in (1, 4)):
                # as minus the blurring map: the pooled values take abs
                pooled.update(_pool(np.minimum(plane, 0.0, out=plane), index, _BLURRING, needed, free[1]))
    if ssim:
        mu = blurred[:ssim]
        sigma22 = blurred[count : count + ssim]
        sigma12 = blurred[count + ssim :]
        scratch = free[:ssim]
        sigma22 -= np.multiply(mu, mu, out=scratch)
        _uncentre_covariance(sigma22, mu, mu, ref.offsets[:ssim])
        sigma12 -= np.multiply(ref.mu, mu, out=scratch)
        _uncentre_covariance(sigma12, ref.mu, mu, ref.offsets[:ssim])
        ssim_map = _ssim_map(ref.mu, ref.variance, mu, sigma22, sigma12, out=scratch)
        for index in range(ssim):
            pooled.update(_pool(ssim_map[index], index, _SSIM, needed, free[ssim + index]))
    return sum(weight * abs(pooled[index, kind, norm]) for weight, index, kind, norm in scale.terms)


def _scale_count(width: int, height: int) -> int:
    count = 0
    while count < NUM_SCALES and width >= MIN_SIZE_PX and height >= MIN_SIZE_PX:
        count, width, height = count + 1, (width + 1) // 2, (height + 1) // 2
    return count


@functools.lru_cache(maxsize=16)
def _plan(scales: int, min_weight: float) -> tuple[tuple[_Terms, ...], ...]:
    """Per scale and channel, the weighted terms to compute. The weights run channel, scale, norm, map
    over the scales there are (the reference's order, also when an image has fewer than six)."""
    plan = []
    for scale in range(scales):
        per_channel = []
        for channel in range(3):
            terms = []
            for n, norm in enumerate((1, 4)):
                for kind in (_SSIM, _RINGING, _BLURRING):
                    weight = _WEIGHTS[channel * 6 * scales + scale * 6 + n * 3 + kind]
                    if weight > 0 and weight >= min_weight:
                        terms.append((weight, kind, norm))
            per_channel.append(tuple(terms))
        plan.append(tuple(per_channel))
    return tuple(plan)


def _ssim_map(
    mu1: Plane, variance1: Plane, mu2: Plane, variance2: Plane, covariance: Plane, *, out: Plane
) -> Plane:
    """max(0, 1 - (1 - (mu1 - mu2)^2) (2 cov12 + C2) / (var1 + var2 + C2)), with C2 already in
    variance1; overwrites variance2 and covariance."""
    covariance *= 2.0
    covariance += _C2  # numerator of the structure term
    variance2 += variance1  # denominator
    d = np.subtract(mu1, mu2, out=out)
    d *= d
    np.subtract(1.0, d, out=d)  # numerator of the luminance term
    d *= covariance
    d /= variance2
    np.subtract(1.0, d, out=d)
    np.maximum(d, 0.0, out=d)
    return d


@functools.lru_cache(maxsize=64)
def _borders(width: int) -> tuple[tuple[slice, Plane, Plane], ...]:
    """border_weights as column slices with 1 - w and w (1 - w): the first and the last RADIUS columns,
    or all of them in one slice when they overlap. Slices make views, where the list of columns would
    make copies."""
    columns, w = border_weights(width)
    parts = (
        [(0, width)] if len(columns) == width else [(0, len(columns) // 2), (len(columns) // 2, len(columns))]
    )
    return tuple(
        (slice(int(columns[a]), int(columns[b - 1]) + 1), 1.0 - w[a:b], w[a:b] * (1.0 - w[a:b]))
        for a, b in parts
    )


def _uncentre_deviation(deviation: Plane, offsets: Plane) -> None:
    """img - blur(img) from centred (planes, height, width) stacks: the same but near the left and
    right edges, where the blur of the offset is offset * w, w < 1."""
    for columns, one_minus_w, _ in _borders(deviation.shape[2]):
        deviation[:, :, columns] += offsets * one_minus_w


def _uncentre_covariance(covariance: Plane, mu1: Plane, mu2: Plane, offsets: Plane) -> None:
    """blur(a b) - blur(a) blur(b) from centred stacks (a - offset, b - offset, their blurs mu1, mu2):
    the same but near the left and right edges, where it needs offset (mu1 + mu2) (1 - w) +
    offset^2 w (1 - w) more."""
    for columns, one_minus_w, w_one_minus_w in _borders(covariance.shape[2]):
        covariance[:, :, columns] += (
            offsets * (mu1[:, :, columns] + mu2[:, :, columns]) * one_minus_w + offsets**2 * w_one_minus_w
        )


def _pool(
    values: Plane, index: int, kind: int, needed: set[tuple[int, int, int]], scratch: Plane
) -> dict[tuple[int, int, int], float]:
    """Mean (1-norm) and 4-norm of one channel's map, those of them asked for."""
    pooled = {}
    if (index, kind, 1) in needed:
        pooled[index, kind, 1] = float(values.sum()) / values.size
    if (index, kind, 4) in needed:
        squared = np.multiply(values, values, out=scratch).ravel()
        pooled[index, kind, 4] = max(float(np.dot(squared, squared)) / values.size, 0.0) ** 0.25
    return pooled


def _final_score(total: float) -> float:
    total *= 0.9562382616834844
    total = 2.326765642916932 * total - 0.020884521182843837 * total**2 + 6.248496625763138e-05 * total**3
    if total <= 0:
        return 100.0
    return float(100.0 - 10.0 * total**0.6276336467831387)
