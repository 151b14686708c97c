// Durable I/O: the system calls the session store and save are built from, each returning a
// clear errno error. The store reaches them through one small seam (piece-table/durable-io.ts)
// so tests can record and replay them.
#pragma once

#include <napi.h>

#include <cstdint>

namespace gigapad {

// Reserves [offset, offset + length) on disk (posix_fallocate; F_PREALLOCATE on macOS), so later
// writes through a mapping cannot fail for lack of space. Returns 0 or an errno value.
int AllocateFileSpace(int fd, uint64_t offset, uint64_t length);
// fdatasync (F_FULLFSYNC on macOS, where fsync leaves data in the drive cache). 0 or errno.
int DataSync(int fd);
// fsync, including metadata (F_FULLFSYNC on macOS). 0 or errno.
int FullSync(int fd);

// Copies length bytes from in at in_offset to out at out_offset: copy_file_range where possible,
// pread/pwrite otherwise. Returns bytes copied (short at end of input) or -errno.
int64_t CopyFileRange(int in, uint64_t in_offset, int out, uint64_t out_offset, uint64_t length);

// Adds dataSync, fullSync, syncDirectory, pwrite, pread, copyFileRange, allocate, freeSpace,
// lock, unlock and the extended attribute calls (copyXattrs, listXattrs, getXattr, setXattr) to
// exports.
void DefineDurableIo(Napi::Env env, Napi::Object exports);

}  // namespace gigapad
