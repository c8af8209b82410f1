/*
 * arc4random for the static-libstdc++ release build. libstdc++'s std::random_device calls
 * arc4random, which glibc has only since 2.36 (Debian 12); linking this definition in keeps
 * the agent's glibc floor at 2.35, so the same binary runs on Ubuntu 22.04. It draws from
 * the kernel exactly as glibc's own does (getrandom, blocking until the pool is ready).
 */
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

uint32_t arc4random(void) {
    uint32_t value;
    size_t filled = 0;
    while (filled < sizeof value) {
        ssize_t got = getrandom((char *)&value + filled, sizeof value - filled, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            __builtin_trap(); /* no entropy source at all: never return predictable bytes */
        }
        filled += (size_t)got;
    }
    return value;
}
