/**
 * Limits and patterns that more than one part of Reelay checks. Each is written here once,
 * so the places that check it cannot drift apart.
 */

/** A UUID in its canonical text form, either case: the key of every task, user and channel. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A well-formed UUID that names no row: looked up where a caller must find nothing. */
export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/** An output size in pixels, WIDTHxHEIGHT (10 to 99999 each way), e.g. 1280x720. */
export const SIZE_PATTERN = /^[1-9]\d{1,4}x[1-9]\d{1,4}$/;

/**
 * The longest user subject (the JWT `sub`), in characters. Subjects are stored and indexed;
 * an identity provider's ids are far shorter. A subject no token may carry is refused everywhere.
 */
export const MAX_SUBJECT_LENGTH = 255;

/** Characters of an error message kept on a row (a channel's last error, a mirror's). */
export const STORED_ERROR_LENGTH = 500;
