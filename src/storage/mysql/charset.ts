/**
 * The bytes MySQL sees, as ml-metadata's MySQL client sends them.
 *
 * ml-metadata links MariaDB Connector/C with its default connection character set, latin1, and passes UTF-8 bytes
 * through it unchanged. So the server believes it receives latin1 text and converts it into the columns' character
 * set: "é" (C3 A9) is stored in a utf8mb4 column as the two characters "Ã©". Read back over a latin1 connection the
 * conversion is undone and the client gets its bytes again. Every MLMD database written through MySQL holds strings
 * that way; to read them intact, and to write strings the package reads back, we connect with latin1 too and move
 * UTF-8 bytes through it: each string goes out as its UTF-8 bytes (one latin1 character per byte) and comes back
 * the same way. MySQL's latin1 is cp1252 with the five undefined bytes mapped to C1 controls, so all 256 byte values
 * survive the round trip.
 */

/** The mysql2 charset of every connection. */
export const CONNECTION_CHARSET = 'LATIN1_SWEDISH_CI';

const ASCII = /^[\x00-\x7f]*$/;

/** A JS string as the latin1 text whose bytes are its UTF-8 encoding (what mysql2 then sends byte for byte). */
export function toWire(s: string): string {
  return ASCII.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

/** The reverse: latin1 text received from the server (one character per byte) read as UTF-8. */
export function fromWire(s: string): string {
  return ASCII.test(s) ? s : Buffer.from(s, 'latin1').toString('utf8');
}
