/* bcryptprimitives.dll for Wine 8 (Debian 12's), which lacks it.
 *
 * Rust's standard library on Windows (since 1.78) takes its random bytes from
 * ProcessPrng in bcryptprimitives.dll, which every Windows 10 and 11 has but
 * Wine only gained in 9.0. Without it no Rust program starts under Debian's
 * Wine ("bcryptprimitives.dll not found"). scripts/test-windows builds this
 * file with mingw-w64 and puts it in the test Wine prefix's system32; it is
 * never shipped: on Windows the system's own DLL is used.
 *
 * ProcessPrng is documented to always succeed; RtlGenRandom (advapi32's
 * SystemFunction036) is Wine's system random generator. */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
