"""HDR gain-map JPEGs made for the tests: an Ultra HDR file written by libvips' uhdrsave from a corpus
photo, and an Apple-style HDR JPEG assembled by hand from Apple's layout (a base JPEG with an MPF
index in APP2, then a grey gain-map JPEG whose XMP is in Apple's HDRGainMap namespace)."""

from __future__ import annotations

import struct

import pyvips

from tests.imaging import images

SEINE = images.PHOTO / "seine_sdr_gainmap_srgb.jpg"  # libavif's test file: Adobe hdrgm XMP, 3 channels

APPLE_XMP = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="XMP Core 6.0.0">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description rdf:about="" xmlns:HDRGainMap="http://ns.apple.com/HDRGainMap/1.0/"'
    ' xmlns:apdi="http://ns.apple.com/pixeldatainfo/1.0/">'
    "<HDRGainMap:HDRGainMapVersion>131072</HDRGainMap:HDRGainMapVersion>"
    "<HDRGainMap:HDRGainMapHeadroom>2.600000</HDRGainMap:HDRGainMapHeadroom>"
    "<apdi:AuxiliaryImageType>urn:com:apple:photo:2020:aux:hdrgainmap</apdi:AuxiliaryImageType>"
    "<apdi:NativeFormat>1278226488</apdi:NativeFormat>"
    "</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def ultra_hdr(name: str = "rocket.jpg") -> bytes:
    """An Ultra HDR JPEG from a corpus photo: its highlights made 4x brighter in linear light (an HDR
    image uhdrsave can compute a gain map for), SDR base plus a half-size single-channel gain map."""
    photo = pyvips.Image.new_from_buffer(images.read(images.PHOTO / name), "")
    linear = photo.colourspace("scrgb")
    hdr = (linear > 0.6).ifthenelse(linear * 4, linear)
    data: bytes = hdr.uhdrsave_buffer(Q=90)
    return data


def apple_hdr(name: str = "rocket.jpg", *, orientation: int = 1) -> bytes:
    """An Apple-style HDR JPEG: the photo as the primary JPEG (with an EXIF orientation when not 1),
    an MPF index (big-endian, as iPhones write it) right after the EXIF segment, and a half-size grey
    gain map whose APP1 XMP carries HDRGainMapVersion, HDRGainMapHeadroom and apdi:AuxiliaryImageType."""
    photo = pyvips.Image.new_from_buffer(images.read(images.PHOTO / name), "")
    primary: bytes = photo.jpegsave_buffer(Q=92, keep="none")
    grey = photo.colourspace("b-w").resize(0.5)
    gain_map: bytes = grey.jpegsave_buffer(Q=85, keep="none")
    xmp_payload = b"http://ns.adobe.com/xap/1.0/\x00" + APPLE_XMP.encode()
    gain_map = gain_map[:2] + _segment(0xE1, xmp_payload) + gain_map[2:]
    exif = _orientation_exif(orientation) if orientation != 1 else b""
    head = primary[:2] + exif
    mpf_length = 2 + 2 + 4 + 8 + 2 + 3 * 12 + 4 + 32
    total = len(primary) + len(exif) + mpf_length
    mpf_start = len(head)
    tiff_start = mpf_start + 8
    ifd = struct.pack(">H", 3)
    ifd += struct.pack(">HHI4s", 0xB000, 7, 4, b"0100")
    ifd += struct.pack(">HHII", 0xB001, 4, 1, 2)
    ifd += struct.pack(">HHII", 0xB002, 7, 32, 8 + 2 + 36 + 4)
    ifd += struct.pack(">I", 0)
    entries = struct.pack(">IIIHH", 0x20030000, total, 0, 0, 0)
    entries += struct.pack(">IIIHH", 0, len(gain_map), total - tiff_start, 0, 0)
    mpf = _segment(0xE2, b"MPF\x00" + b"MM\x00*" + struct.pack(">I", 8) + ifd + entries)
    assert len(mpf) == mpf_length
    return head + mpf + primary[2:] + gain_map


def _segment(marker: int, payload: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _orientation_exif(orientation: int) -> bytes:
    tiff = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">HHHIHH", 1, 0x0112, 3, 1, orientation, 0)
    return _segment(0xE1, b"Exif\x00\x00" + tiff + struct.pack(">I", 0))


def gain_map_of(data: bytes) -> pyvips.Image:
    """The second picture of an MPF JPEG, found through its index by libvips' uhdrload (Ultra HDR/ISO)."""
    return pyvips.Image.jpegload_buffer(pyvips.Image.uhdrload_buffer(data).get("gainmap-data"))
