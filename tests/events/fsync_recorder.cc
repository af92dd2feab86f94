// LD_PRELOAD shim for the durability test: records every fsync/fdatasync on a RocksDB WAL file
// ("*.log") as a line "S" in the file named by KAKITOME_SYNC_LOG, then calls the real function.
// A page cache survives SIGKILL, so only watching the system calls can tell that a "sync" append
// was acknowledged without its WAL reaching the disk.
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

bool is_wal(int fd) {
    char link[64];
    char target[PATH_MAX];
    std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    const ssize_t length = ::readlink(link, target, sizeof target - 1);
    if (length <= 4) return false;
    target[length] = '\0';
    return std::strcmp(target + length - 4, ".log") == 0;
}

void record(int fd) {
    const char* path = std::getenv("KAKITOME_SYNC_LOG");
    if (!path || !is_wal(fd)) return;
    const int out = ::open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
    if (out < 0) return;
    (void)!::write(out, "S\n", 2);
    ::close(out);
}

}  // namespace

extern "C" int fsync(int fd) {
    static auto real = reinterpret_cast<int (*)(int)>(::dlsym(RTLD_NEXT, "fsync"));
    const int result = real(fd);
    if (result == 0) record(fd);
    return result;
}

extern "C" int fdatasync(int fd) {
    static auto real = reinterpret_cast<int (*)(int)>(::dlsym(RTLD_NEXT, "fdatasync"));
    const int result = real(fd);
    if (result == 0) record(fd);
    return result;
}
