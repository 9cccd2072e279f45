<?php
/**
 * Whether bytes from the server are one whole image and nothing else.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Walks the container of a JPEG, PNG, GIF, WebP or AVIF file to its end: the image must end exactly
 * where the bytes end. A valid header followed by anything else (`<?php ... ?>` appended to a JPEG) is
 * refused before it is written into uploads, where a misconfigured web server might run it.
 */
class Pixpress_Image_Check {

	/**
	 * Whether $bytes are exactly one image of type $mime.
	 *
	 * @param string $bytes The file.
	 * @param string $mime image/jpeg, image/png, image/gif, image/webp or image/avif.
	 * @return bool
	 */
	public static function is_whole( $bytes, $mime ) {
		switch ( $mime ) {
			case 'image/jpeg':
				// JPEGs end to end: a gain map (Ultra HDR) or an MPF image follows the primary image.
				$pos = 0;
				while ( $pos >= 0 && $pos < strlen( $bytes ) ) {
					$pos = self::jpeg_end( $bytes, $pos );
				}
				return strlen( $bytes ) === $pos;
			case 'image/png':
				return self::png_end( $bytes ) === strlen( $bytes );
			case 'image/gif':
				return self::gif_end( $bytes ) === strlen( $bytes );
			case 'image/webp':
				return self::webp_end( $bytes ) === strlen( $bytes );
			case 'image/avif':
				return 'ftyp' === substr( $bytes, 4, 4 ) && self::boxes_end( $bytes ) === strlen( $bytes );
		}
		return false;
	}

	/**
	 * Where the JPEG starting at $start ends: just after its EOI marker, segments and entropy-coded
	 * scans walked; -1 when broken.
	 *
	 * @param string $bytes The file.
	 * @param int    $start Where the JPEG starts.
	 * @return int
	 */
	private static function jpeg_end( $bytes, $start ) {
		$length = strlen( $bytes );
		if ( "\xFF\xD8" !== substr( $bytes, $start, 2 ) ) {
			return -1;
		}
		$pos = $start + 2;
		while ( $pos + 2 <= $length ) {
			if ( "\xFF" !== $bytes[ $pos ] ) {
				return -1;
			}
			$marker = ord( $bytes[ $pos + 1 ] );
			if ( 0xFF === $marker ) {
				++$pos; // Fill byte.
				continue;
			}
			if ( 0xD9 === $marker ) {
				return $pos + 2;
			}
			if ( 0x01 === $marker || ( $marker >= 0xD0 && $marker <= 0xD7 ) ) {
				$pos += 2; // No length: TEM, RSTn.
				continue;
			}
			if ( $pos + 4 > $length ) {
				return -1;
			}
			$segment = unpack( 'n', substr( $bytes, $pos + 2, 2 ) )[1];
			if ( $segment < 2 ) {
				return -1;
			}
			$pos += 2 + $segment;
			if ( 0xDA !== $marker ) {
				continue;
			}
			// Entropy-coded data: up to the next 0xFF that is not a stuffed 0xFF00, a restart marker or fill.
			while ( true ) {
				$ff = strpos( $bytes, "\xFF", $pos );
				if ( false === $ff || $ff + 1 >= $length ) {
					return -1;
				}
				$next = ord( $bytes[ $ff + 1 ] );
				if ( 0x00 === $next || ( $next >= 0xD0 && $next <= 0xD7 ) ) {
					$pos = $ff + 2;
				} elseif ( 0xFF === $next ) {
					$pos = $ff + 1;
				} else {
					$pos = $ff;
					break;
				}
			}
		}
		return -1;
	}

	/**
	 * Where a PNG ends: just after its IEND chunk; -1 when broken.
	 *
	 * @param string $bytes The file.
	 * @return int
	 */
	private static function png_end( $bytes ) {
		$length = strlen( $bytes );
		if ( "\x89PNG\r\n\x1a\n" !== substr( $bytes, 0, 8 ) ) {
			return -1;
		}
		$pos = 8;
		while ( $pos + 12 <= $length ) {
			$size = unpack( 'N', substr( $bytes, $pos, 4 ) )[1];
			$type = substr( $bytes, $pos + 4, 4 );
			$pos += 12 + $size; // Length, type, data, CRC.
			if ( 'IEND' === $type ) {
				return $pos;
			}
		}
		return -1;
	}

	/**
	 * Where a GIF ends: just after its trailer (0x3B), every block walked; -1 when broken.
	 *
	 * @param string $bytes The file.
	 * @return int
	 */
	private static function gif_end( $bytes ) {
		$length = strlen( $bytes );
		if ( $length < 13 || ! in_array( substr( $bytes, 0, 6 ), array( 'GIF87a', 'GIF89a' ), true ) ) {
			return -1;
		}
		$flags = ord( $bytes[10] );
		$pos   = 13 + ( ( $flags & 0x80 ) ? 3 << ( ( $flags & 7 ) + 1 ) : 0 );
		while ( $pos < $length ) {
			$block = ord( $bytes[ $pos ] );
			if ( 0x3B === $block ) {
				return $pos + 1;
			}
			if ( 0x21 === $block ) {
				$pos += 2; // Introducer and label, then sub-blocks.
			} elseif ( 0x2C === $block && $pos + 10 <= $length ) {
				$flags = ord( $bytes[ $pos + 9 ] );
				$pos  += 10 + ( ( $flags & 0x80 ) ? 3 << ( ( $flags & 7 ) + 1 ) : 0 ) + 1; // Descriptor, local table, LZW code size.
			} else {
				return -1;
			}
			while ( true ) { // Sub-blocks: a size byte, that many bytes; a 0 ends them.
				if ( $pos >= $length ) {
					return -1;
				}
				$size = ord( $bytes[ $pos ] );
				$pos += 1 + $size;
				if ( 0 === $size ) {
					break;
				}
			}
		}
		return -1;
	}

	/**
	 * Where a WebP ends: its RIFF size counts every byte after the first 8, and its chunks (padded to an
	 * even size) fill it exactly; -1 when broken.
	 *
	 * @param string $bytes The file.
	 * @return int
	 */
	private static function webp_end( $bytes ) {
		$length = strlen( $bytes );
		if ( $length < 12 || 'RIFF' !== substr( $bytes, 0, 4 ) || 'WEBP' !== substr( $bytes, 8, 4 ) ) {
			return -1;
		}
		$end = unpack( 'V', substr( $bytes, 4, 4 ) )[1] + 8;
		$pos = 12;
		while ( $pos + 8 <= $end && $end <= $length ) {
			$size = unpack( 'V', substr( $bytes, $pos + 4, 4 ) )[1];
			$pos += 8 + $size + ( $size & 1 );
		}
		return $pos === $end ? $end : -1;
	}

	/**
	 * Where a run of ISO-BMFF boxes (AVIF) ends; -1 when a box is broken.
	 *
	 * @param string $bytes The file.
	 * @return int
	 */
	private static function boxes_end( $bytes ) {
		$length = strlen( $bytes );
		$pos    = 0;
		while ( $pos + 8 <= $length ) {
			$size = unpack( 'N', substr( $bytes, $pos, 4 ) )[1];
			if ( 1 === $size && $pos + 16 <= $length ) {
				$size = unpack( 'J', substr( $bytes, $pos + 8, 8 ) )[1]; // 64-bit size.
			} elseif ( 0 === $size && 'mdat' === substr( $bytes, $pos + 4, 4 ) ) {
				return $length; // The media data runs to the end.
			}
			if ( $size < 8 ) {
				return -1;
			}
			$pos += $size;
		}
		return $pos;
	}
}
