// The Linux constants the trace model decodes itself: strace prints them as raw numbers
// (`-X raw`, so the text does not change with strace's symbol tables). Values are Linux's
// generic ones, checked on x86_64 with python3's os module; arm64 swaps O_DIRECT and
// O_DIRECTORY (its asm/fcntl.h), the only difference on the architectures we run on.

const ARM = process.arch === 'arm64' || process.arch === 'arm';

export const O_ACCMODE = 0o3;
export const O_WRONLY = 0o1;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;
/** O_SYNC is O_DSYNC plus a bit of its own (0o4010000), so this bit covers both. */
export const O_DSYNC = 0o10000;
export const O_DIRECT = ARM ? 0o200000 : 0o40000;
export const O_DIRECTORY = ARM ? 0o40000 : 0o200000;
export const O_CLOEXEC = 0o2000000;
/** O_TMPFILE without its O_DIRECTORY bit. */
export const O_TMPFILE_BIT = 0o20000000;

export const AT_FDCWD = -100;
export const AT_REMOVEDIR = 0x200;
export const AT_EMPTY_PATH = 0x1000;

export const RENAME_EXCHANGE = 0x2;
export const RENAME_WHITEOUT = 0x4;

export const F_DUPFD = 0;
export const F_SETFD = 2;
export const F_SETFL = 4;
export const F_DUPFD_CLOEXEC = 1030;
export const FD_CLOEXEC = 1;
/** ioctl requests that set and clear close-on-exec (Python's os.set_inheritable uses them). */
export const FIONCLEX = 0x5450;
export const FIOCLEX = 0x5451;

export const CLOSE_RANGE_UNSHARE = 0x2;
export const CLOSE_RANGE_CLOEXEC = 0x4;

export const FALLOC_FL_KEEP_SIZE = 0x1;

export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x1;

export const CLONE_FS = 0x200;
export const CLONE_FILES = 0x400;

export const RWF_DSYNC = 0x2;
export const RWF_SYNC = 0x4;
export const RWF_APPEND = 0x10;
