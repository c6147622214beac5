/* A stand-in for "libcrypto.so", CivetWeb's other dlopen(): that name is only a
 * development symlink (package libssl-dev), absent where just the runtime
 * libraries are installed. This library has the soname "libcrypto.so" and depends
 * on the real libcrypto.so.3, where CivetWeb finds every function it looks up.
 * See civetweb_ssl_shim.c. */

/* ISO C wants at least one declaration in a file. */
extern const int msx_civetweb_crypto_shim;
const int msx_civetweb_crypto_shim = 1;
