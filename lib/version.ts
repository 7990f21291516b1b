/**
 * The toolkit's version (deno.json's "version"; `sa --version` prints the same). The embedded
 * broker reports it as its `sa.version` broker config, so a console can name it.
 *
 * @module
 */

/** This build's version. */
export const SA_VERSION = "0.1.0";
