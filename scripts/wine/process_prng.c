/* Test-only stand-in for Windows 10's bcryptprimitives.dll, which Wine 8 lacks: Rust's standard
 * library on Windows takes its random numbers from ProcessPrng there, so without this DLL every
 * Rust program exits at start-up under Wine 8 (status 53). It answers from BCryptGenRandom, the
 * system RNG Wine does have. scripts/wine-run.sh builds it with mingw into the tests' own Wine
 * prefix; it is never shipped (real Windows 10+ has the real DLL). */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
