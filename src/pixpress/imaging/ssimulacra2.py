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

Faster than the reference (float64, scipy) by about 20x: float32 in place, a blur made of matrix
products, and no work for terms whose weight is under MIN_WEIGHT. 27 of the 108 weights lie between
0.0001 and 0.0021 (the next is 0.285) and their terms move a score by about a thousandth of a point;
skipping them skips the X and B channels at full resolution and the whole sixth scale. With
`min_weight=0` every term is computed. A `Reference` keeps what depends on the original only, so the
quality search pays for it once and then about half as much per candidate.

Images with alpha are scored as a browser shows them: composited on white and on black, the worse score
counts (the reference drops alpha). An image under 8x8 has no scale to compare and scores 100, as in the
reference; with fewer than six scales the weights are read in the reference's running order.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyvips

from pixpress.errors import InvalidImage
from pixpress.imaging.ssimulacra2_blur import blur, border_weights

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
_OPSIN_BIAS = 0.0037930732552754493
_CBRT_BIAS = _OPSIN_BIAS ** (1.0 / 3.0)
_X, _Y, _B = 0, 1, 2
_SSIM, _RINGING, _BLURRING = 0, 1, 2
_Terms = tuple[tuple[float, int, int], ...]  # (weight, map: _SSIM/_RINGING/_BLURRING, norm: 1 or 4)
_BACKGROUNDS = (255.0, 0.0)  # white, black

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

    It holds about 26 bytes per pixel of float32 planes (twice that when alpha needs both backgrounds);
    a score needs about 40 more while it runs (12 MP: 310 MB, then 460 MB more at peak). Scoring from
    several threads at once is safe."""

    def __init__(self, image: pyvips.Image) -> None:
        self._image = _to_srgb8(image)
        self.width: int = self._image.width
        self.height: int = self._image.height
        self._prepared: dict[float | None, _PreparedPixels] = {}

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
            return self._prepare(None).score(_rgb(distorted))
        return min(
            self._prepare(background).score(_rgb(_flatten(distorted, background)))
            for background in _BACKGROUNDS
        )

    def score_bytes(self, distorted: bytes) -> float:
        """Raises InvalidImage when `distorted` does not decode."""
        return self.score(_decode(distorted))

    def _prepare(self, background: float | None) -> _PreparedPixels:
        if not self._image.hasalpha():
            background = None  # the same pixels on any background
        if background not in self._prepared:
            image = self._image if background is None else _flatten(self._image, background)
            self._prepared[background] = _PreparedPixels(_rgb(image), MIN_WEIGHT)
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


@dataclass(frozen=True)
class _ChannelReference:
    """What one XYB channel of the original contributes at one scale. The planes are centred on
    `offset` (the plane's mean) for float32 precision: variances are small differences of large
    squares, and mean-centring keeps the squares small. Near the left and right edges, where the
    reference's zero padding makes blurs not shift-invariant, _uncentre_* restore the exact values."""

    offset: float
    img: Plane  # img - offset
    mu: Plane  # blur(img - offset)
    variance: Plane | None  # blur(img^2) - blur(img)^2 + C2, when SSIM terms count
    edge: Plane | None  # 1 + |img - blur(img)|, when edge terms count


class _PreparedPixels:
    """The original's planes per scale and channel, for the terms `min_weight` keeps."""

    def __init__(self, rgb: Pixels, min_weight: float) -> None:
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected a (height, width, 3) array, got {rgb.shape}")
        self.shape = rgb.shape
        self._rgb = rgb
        self._plan = _plan(_scale_count(rgb.shape[1], rgb.shape[0]), min_weight)
        self._last = max((scale for scale, terms in enumerate(self._plan) if any(terms)), default=-1)
        self._channels: list[dict[int, _ChannelReference]] = []
        for xyb in self._xyb_scales(rgb):
            work = _workspace(xyb)
            self._channels.append(
                {
                    channel: self._prepare_channel(channel, len(self._channels), plane, work)
                    for channel, plane in xyb.items()
                }
            )

    def score(self, rgb: Pixels) -> float:
        if rgb.shape != self.shape:
            raise ValueError(f"distorted pixels are {rgb.shape}, reference {self.shape}")
        if np.array_equal(rgb, self._rgb):
            return 100.0  # as in the reference; float32 would give 99.99x
        total = 0.0
        for scale, xyb in enumerate(self._xyb_scales(rgb)):
            work = _workspace(xyb)
            for channel, plane in xyb.items():
                terms = self._plan[scale][channel]
                total += _channel_total(self._channels[scale][channel], plane, terms, work)
        return _final_score(total)

    def _xyb_scales(self, rgb: Pixels) -> list[dict[int, Plane]]:
        """Per scale up to the last that counts, the XYB planes that count."""
        linear = _linear(rgb)
        scales = []
        for scale in range(self._last + 1):
            channels = [channel for channel in range(3) if self._plan[scale][channel]]
            scales.append(_positive_xyb(linear, channels))
            if scale < self._last:
                linear = _half(linear)
        return scales

    def _prepare_channel(self, channel: int, scale: int, img: Plane, work: Plane) -> _ChannelReference:
        kinds = {kind for _, kind, _ in self._plan[scale][channel]}
        offset = float(img.mean(dtype=np.float64))
        img -= offset
        mu = np.empty_like(img)
        blur(img, out=mu, scratch=work[0])
        variance = edge = None
        if _SSIM in kinds:
            variance = np.empty_like(img)
            blur(np.multiply(img, img, out=work[1]), out=variance, scratch=work[0])
            variance -= np.multiply(mu, mu, out=work[1])
            _uncentre_covariance(variance, mu, mu, offset)
            variance += _C2
        if kinds & {_RINGING, _BLURRING}:
            edge = np.subtract(img, mu)
            _uncentre_deviation(edge, offset)
            np.abs(edge, out=edge)
            edge += 1.0
        return _ChannelReference(offset, img, mu, variance, edge)


def _workspace(xyb: dict[int, Plane]) -> Plane:
    shape = next(iter(xyb.values())).shape if xyb else (0, 0)
    return np.empty((7, *shape), dtype=np.float32)


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


def _linear(rgb: Pixels) -> Plane:
    """(height, width, 3) sRGB -> (3, height, width) linear RGB + opsin bias."""
    planes: Plane = _LUT[rgb.transpose(2, 0, 1)]
    return planes


def _half(linear: Plane) -> Plane:
    """2x2 box average; an odd last row or column averages the pixels it has."""
    _, height, width = linear.shape
    if height % 2 or width % 2:
        linear = np.pad(linear, ((0, 0), (0, height % 2), (0, width % 2)), mode="edge")
    rows = linear[:, 0::2, :] + linear[:, 1::2, :]
    half = rows[:, :, 0::2] + rows[:, :, 1::2]
    half *= 0.25
    return half


def _positive_xyb(linear: Plane, channels: list[int]) -> dict[int, Plane]:
    """The requested planes of the reference's positive XYB: with c = cbrt(opsin mix + bias),
    X = 7 (c0 - c1) + 0.42, Y = (c0 + c1) / 2 - cbrt(bias) + 0.01, B = c2 - (c0 + c1) / 2 + 0.55."""
    _, height, width = linear.shape
    if not channels:
        return {}
    # The bias is in the linear values already; they are positive, and so are the coefficients: the
    # reference's clamp at zero never applies.
    mixed = _OPSIN[: 3 if _B in channels else 2] @ linear.reshape(3, -1)
    np.cbrt(mixed, out=mixed)
    total01, diff01 = mixed[0], mixed[1]
    total01 += diff01  # c0 + c1
    diff01 *= -2.0
    diff01 += total01  # c0 - c1
    planes: dict[int, Plane] = {}
    if _B in channels:
        b = mixed[2]
        b -= 0.5 * total01
        b += 0.55
        planes[_B] = b
    if _X in channels:
        diff01 *= 7.0
        diff01 += 0.42
        planes[_X] = diff01
    if _Y in channels:
        total01 *= 0.5
        total01 += 0.01 - _CBRT_BIAS
        planes[_Y] = total01
    return {channel: plane.reshape(height, width) for channel, plane in planes.items()}


def _channel_total(ref: _ChannelReference, img: Plane, terms: _Terms, work: Plane) -> float:
    """The weighted sum of one channel's terms at one scale, for the distorted plane `img`."""
    kinds = {kind for _, kind, _ in terms}
    norms = {(kind, norm) for _, kind, norm in terms}
    mu, sigma22, sigma12, plane_a, plane_b, blur_scratch, scratch = work
    img -= ref.offset
    blur(img, out=mu, scratch=blur_scratch)
    pooled: dict[tuple[int, int], float] = {}
    if ref.edge is not None:
        # (1 + |img - mu|) / (1 + |ref - ref mu|) - 1: above 0 ringing, below 0 blurring
        ratio = np.subtract(img, mu, out=plane_a)
        _uncentre_deviation(ratio, ref.offset)
        np.abs(ratio, out=ratio)
        ratio += 1.0
        ratio /= ref.edge
        ratio -= 1.0
        if _RINGING in kinds:
            pooled.update(_pool(np.maximum(ratio, 0.0, out=plane_b), _RINGING, norms, scratch))
        if _BLURRING in kinds:  # as minus the blurring map: the pooled values take abs
            pooled.update(_pool(np.minimum(ratio, 0.0, out=ratio), _BLURRING, norms, scratch))
    if ref.variance is not None:
        blur(np.multiply(img, img, out=scratch), out=sigma22, scratch=blur_scratch)
        sigma22 -= np.multiply(mu, mu, out=scratch)
        _uncentre_covariance(sigma22, mu, mu, ref.offset)
        blur(np.multiply(ref.img, img, out=scratch), out=sigma12, scratch=blur_scratch)
        sigma12 -= np.multiply(ref.mu, mu, out=scratch)
        _uncentre_covariance(sigma12, ref.mu, mu, ref.offset)
        ssim = _ssim_map(ref.mu, ref.variance, mu, sigma22, sigma12, out=plane_a)
        pooled.update(_pool(ssim, _SSIM, norms, scratch))
    return sum(weight * abs(pooled[kind, norm]) for weight, kind, norm in terms)


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


def _uncentre_deviation(deviation: Plane, offset: float) -> None:
    """img - blur(img) from centred planes: the same but near the left and right edges, where the
    blur of the offset is offset * w, w < 1."""
    columns, w = border_weights(deviation.shape[1])
    deviation[:, columns] += offset * (1.0 - w)


def _uncentre_covariance(covariance: Plane, mu1: Plane, mu2: Plane, offset: float) -> None:
    """blur(a b) - blur(a) blur(b) from centred planes (a - offset, b - offset, their blurs mu1, mu2):
    the same but near the left and right edges, where it needs offset (mu1 + mu2) (1 - w) +
    offset^2 w (1 - w) more."""
    columns, w = border_weights(covariance.shape[1])
    covariance[:, columns] += offset * (mu1[:, columns] + mu2[:, columns]) * (1.0 - w) + offset**2 * w * (
        1.0 - w
    )


def _pool(
    values: Plane, kind: int, norms: set[tuple[int, int]], scratch: Plane
) -> dict[tuple[int, int], float]:
    """Mean (1-norm) and 4-norm of a map, those of them asked for."""
    pooled = {}
    if (kind, 1) in norms:
        pooled[kind, 1] = float(values.sum()) / values.size
    if (kind, 4) in norms:
        squared = np.multiply(values, values, out=scratch).ravel()
        pooled[kind, 4] = max(float(np.dot(squared, squared)) / values.size, 0.0) ** 0.25
    return pooled


def _final_score(total: float) -> float:
    total *= 0.9562382616834844
    total = 2.326765642916932 * total - 0.020884521182843837 * total**2 + 6.248496625763138e-05 * total**3
    if total <= 0:
        return 100.0
    return float(100.0 - 10.0 * total**0.6276336467831387)
