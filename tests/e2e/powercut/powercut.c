// powercut.c: an LD_PRELOAD shim that lets a test simulate a power cut on a Linux box without root, loop devices
// or FUSE. Loaded into a process with POWERCUT_DIR=<dir> and POWERCUT_JOURNAL=<file>, it watches every change the
// process makes to files under <dir> and, BEFORE the change reaches the file, appends to the journal what is needed
// to undo it (the bytes about to be overwritten and the file's old size). fsync/fdatasync of a file (or of a
// directory, for the files created in it) are journalled too, as a begin and an end record. After the process is
// killed (SIGKILL keeps the page cache, so nothing is lost yet), recover.py undoes, newest first, every change that
// no completed fsync covered: the files then hold what a disk honouring fsync, and nothing more, would hold after
// the power went out at the moment of the kill.
//
// What is modelled (see recover.py for the replay):
// - data: write, pwrite, pwrite64, writev, pwritev, pwritev2 (and their 64 variants), ftruncate, truncate,
//   fallocate/posix_fallocate (mode 0 or KEEP_SIZE), open(O_TRUNC). Lost unless a later fsync or fdatasync of the
//   same file completed (its begin record comes after the change; its end record says it returned 0). sync() and
//   syncfs() count as an fsync of everything.
// - names: a file or directory created (open O_CREAT of a missing name, creat, mkdir) disappears unless its
//   directory was fsynced after the creation (POSIX: fsync of a file does not make its directory entry durable).
// - not durability: sync_file_range (no metadata, no disk-cache flush) and msync are journalled as notes only.
// - not modelled: unlink, rename, link, symlink, rmdir, copy_file_range, sendfile, splice into, and shared writable
//   mmap of, a watched file. They are journalled as 'X' records and recover.py refuses to call the result a power
//   cut, so the test fails instead of proving nothing.
// - excluded: files whose name ends in "-shm". SQLite's WAL index is a shared mmap, written through memory (not
//   interceptable) and never fsynced; the first connection after a crash finds no lock holder, truncates it and
//   rebuilds it from the WAL. recover.py deletes it, so the restart cannot depend on the killed process's copy.
//
// Power-cut trigger: with POWERCUT_TRIGGER=<file> and POWERCUT_KILL_AFTER=<n>, once <file> exists the shim lets n
// more changes through that alter a watched file (grow or shrink it, or write bytes that differ from the old ones;
// with POWERCUT_CUT_FILE=<suffix>, only changes to files whose path ends so count), and kills its own process with
// SIGKILL right after the next one, before anything can fsync it: the cut always lands with unsynced data on the way.
//
// Journal format: records of a 41-byte header (u32 magic 'PCUT', u8 type, u32 path length, u64 a, b, c, d; little
// endian) followed by the path and d bytes of data. A record is written with one write(2) on an O_APPEND file
// before the change it describes, so a kill leaves at most a torn last record, whose change never started.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAGIC 0x54554350u /* "PCUT" */

static int active;
static char watched[PATH_MAX];
static size_t watched_len;
static int journal_fd = -1;
static const char *trigger_path;
static const char *cut_file;
static long kill_after;
static int armed;
static uint64_t sequence;  // ids of syncs and creations; the high 32 bits are the pid
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static uint64_t next_id(void) { return ((uint64_t)getpid() << 32) | ++sequence; }

// ---- the real functions ----------------------------------------------------------------------------------------

static void *resolve(const char *name) {
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) {
        static const char msg[] = "powercut: cannot resolve a libc symbol\n";
        syscall(1 /* SYS_write */, 2, msg, sizeof msg - 1);
        abort();
    }
    return p;
}
#define REAL(ret, name, ...)                                                                                      \
    static ret (*real_##name)(__VA_ARGS__);                                                                        \
    __attribute__((unused)) static ret (*get_##name(void))(__VA_ARGS__) {                                          \
        if (!real_##name) real_##name = resolve(#name);                                                            \
        return real_##name;                                                                                        \
    }
REAL(ssize_t, write, int, const void *, size_t)
REAL(ssize_t, pwrite, int, const void *, size_t, off_t)
REAL(ssize_t, pwrite64, int, const void *, size_t, off64_t)
REAL(ssize_t, writev, int, const struct iovec *, int)
REAL(ssize_t, pwritev, int, const struct iovec *, int, off_t)
REAL(ssize_t, pwritev64, int, const struct iovec *, int, off64_t)
REAL(ssize_t, pwritev2, int, const struct iovec *, int, off_t, int)
REAL(ssize_t, pwritev64v2, int, const struct iovec *, int, off64_t, int)
REAL(int, ftruncate, int, off_t)
REAL(int, ftruncate64, int, off64_t)
REAL(int, truncate, const char *, off_t)
REAL(int, truncate64, const char *, off64_t)
REAL(int, fallocate, int, int, off_t, off_t)
REAL(int, fallocate64, int, int, off64_t, off64_t)
REAL(int, posix_fallocate, int, off_t, off_t)
REAL(int, posix_fallocate64, int, off64_t, off64_t)
REAL(int, fsync, int)
REAL(int, fdatasync, int)
REAL(void, sync, void)
REAL(int, syncfs, int)
REAL(int, sync_file_range, int, off64_t, off64_t, unsigned int)
REAL(int, msync, void *, size_t, int)
REAL(int, open, const char *, int, ...)
REAL(int, open64, const char *, int, ...)
REAL(int, openat, int, const char *, int, ...)
REAL(int, openat64, int, const char *, int, ...)
REAL(int, __open_2, const char *, int)
REAL(int, __open64_2, const char *, int)
REAL(int, __openat_2, int, const char *, int)
REAL(int, __openat64_2, int, const char *, int)
REAL(int, creat, const char *, mode_t)
REAL(int, creat64, const char *, mode_t)
REAL(int, mkdir, const char *, mode_t)
REAL(int, mkdirat, int, const char *, mode_t)
REAL(int, unlink, const char *)
REAL(int, unlinkat, int, const char *, int)
REAL(int, rmdir, const char *)
REAL(int, rename, const char *, const char *)
REAL(int, renameat, int, const char *, int, const char *)
REAL(int, renameat2, int, const char *, int, const char *, unsigned int)
REAL(int, link, const char *, const char *)
REAL(int, linkat, int, const char *, int, const char *, int)
REAL(int, symlink, const char *, const char *)
REAL(int, symlinkat, const char *, int, const char *)
REAL(ssize_t, copy_file_range, int, off64_t *, int, off64_t *, size_t, unsigned int)
REAL(ssize_t, sendfile, int, int, off_t *, size_t)
REAL(ssize_t, sendfile64, int, int, off64_t *, size_t)
REAL(ssize_t, splice, int, off64_t *, int, off64_t *, size_t, unsigned int)
REAL(void *, mmap, void *, size_t, int, int, int, off_t)
REAL(void *, mmap64, void *, size_t, int, int, int, off64_t)

// ---- the journal -------------------------------------------------------------------------------------------------

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

// Appends one record (caller holds mu, or is the constructor). One write(2), so a kill tears at most the last one.
static void journal(char type, const char *path, uint64_t a, uint64_t b, uint64_t c, const void *data, uint64_t d) {
    if (journal_fd < 0) return;
    size_t plen = path ? strlen(path) : 0;
    size_t total = 41 + plen + d;
    unsigned char stackbuf[41 + PATH_MAX + 256];
    unsigned char *buf = total <= sizeof stackbuf ? stackbuf : malloc(total);
    if (!buf) abort();
    put_u32(buf, MAGIC);
    buf[4] = (unsigned char)type;
    put_u32(buf + 5, (uint32_t)plen);
    put_u64(buf + 9, a);
    put_u64(buf + 17, b);
    put_u64(buf + 25, c);
    put_u64(buf + 33, d);
    if (plen) memcpy(buf + 41, path, plen);
    if (d) memcpy(buf + 41 + plen, data, d);
    size_t done = 0;
    while (done < total) {
        ssize_t n = get_write()(journal_fd, buf + done, total - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            static const char msg[] = "powercut: cannot write the journal\n";
            syscall(1, 2, msg, sizeof msg - 1);
            abort();  // an incomplete journal would make the replay lie
        }
        done += (size_t)n;
    }
    if (buf != stackbuf) free(buf);
}

static void note(char type, const char *path, const char *text) { journal(type, path, 0, 0, 0, text, strlen(text)); }

static void lock(void) { pthread_mutex_lock(&mu); }
static void unlock(void) { pthread_mutex_unlock(&mu); }
static void before_fork(void) { lock(); }
static void after_fork(void) { unlock(); }

__attribute__((constructor)) static void powercut_init(void) {
    const char *dir = getenv("POWERCUT_DIR");
    const char *file = getenv("POWERCUT_JOURNAL");
    if (!dir || !file || !*dir || !*file) return;
    if (!realpath(dir, watched)) {
        fprintf(stderr, "powercut: POWERCUT_DIR %s: %s\n", dir, strerror(errno));
        abort();
    }
    watched_len = strlen(watched);
    journal_fd = get_open()(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (journal_fd < 0) {
        fprintf(stderr, "powercut: POWERCUT_JOURNAL %s: %s\n", file, strerror(errno));
        abort();
    }
    trigger_path = getenv("POWERCUT_TRIGGER");
    cut_file = getenv("POWERCUT_CUT_FILE");
    if (cut_file && !*cut_file) cut_file = NULL;
    const char *k = getenv("POWERCUT_KILL_AFTER");
    kill_after = k ? atol(k) : 0;
    pthread_atfork(before_fork, after_fork, after_fork);
    journal('H', watched, (uint64_t)getpid(), 0, 0, NULL, 0);
    active = 1;
}

// ---- which files are watched -------------------------------------------------------------------------------------

static int under_watched(const char *path) {
    if (strncmp(path, watched, watched_len) != 0) return 0;
    if (path[watched_len] != '\0' && path[watched_len] != '/') return 0;
    size_t n = strlen(path);
    if (n >= 4 && strcmp(path + n - 4, "-shm") == 0) return 0;  // SQLite's WAL index: see the header
    return 1;
}

// The watched path an open descriptor refers to, or 0 (sockets, pipes, other files, unlinked files).
static int fd_watched(int fd, char *path, struct stat *st) {
    if (!active || fd < 0) return 0;
    if (fstat(fd, st) != 0) return 0;
    if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode)) return 0;
    if (st->st_nlink == 0) return 0;  // unlinked: nothing of it survives a reboot anyway
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, PATH_MAX - 1);
    if (n <= 0) return 0;
    path[n] = '\0';
    return under_watched(path);
}

// Absolute, symlink-free form of a path named relative to dirfd whose last component may not exist yet.
static int canonical(int dirfd, const char *path, char *out) {
    char joined[PATH_MAX * 2];
    if (path[0] == '/') {
        snprintf(joined, sizeof joined, "%s", path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base)) return 0;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof base - 1);
            if (n <= 0) return 0;
            base[n] = '\0';
        }
        snprintf(joined, sizeof joined, "%s/%s", base, path);
    }
    size_t len = strlen(joined);
    while (len > 1 && joined[len - 1] == '/') joined[--len] = '\0';
    char *slash = strrchr(joined, '/');
    const char *name = slash + 1;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return realpath(joined, out) != NULL;
    char parent[PATH_MAX];
    *slash = '\0';
    if (!realpath(joined[0] ? joined : "/", parent)) return 0;
    if (snprintf(out, PATH_MAX, "%s/%s", strcmp(parent, "/") == 0 ? "" : parent, name) >= PATH_MAX) return 0;
    return 1;
}

static int path_watched(int dirfd, const char *path, char *out) {
    return active && path && canonical(dirfd, path, out) && under_watched(out);
}

// ---- undo records ------------------------------------------------------------------------------------------------

static int read_fully(int fd, unsigned char *buf, size_t len, off_t off) {
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(fd, buf + done, len - done, off + (off_t)done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) break;
        done += (size_t)n;
    }
    return done == len ? 0 : -1;
}

// Journals how to undo a change of [off, off+len) that leaves the file `newsize` bytes long; `data` (cnt buffers,
// or none) is what the change writes there. Caller holds mu. Returns whether the change alters what the file reads
// as: it grows or shrinks it, or writes bytes that differ from the old ones.
static int record_undo(int fd, const char *path, off_t oldsize, off_t off, size_t len, off_t newsize,
                       const struct iovec *data, int cnt) {
    size_t keep = off < oldsize ? (size_t)((off_t)len < oldsize - off ? (off_t)len : oldsize - off) : 0;
    unsigned char *old = NULL;
    if (keep) {
        old = malloc(keep);
        if (!old) abort();
        if (read_fully(fd, old, keep, off) != 0) {  // a write-only descriptor: read through a second one
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            int rfd = get_open()(link, O_RDONLY | O_CLOEXEC);
            if (rfd < 0 || read_fully(rfd, old, keep, off) != 0) {
                fprintf(stderr, "powercut: cannot read the old bytes of %s\n", path);
                abort();
            }
            close(rfd);
        }
    }
    journal('W', path, (uint64_t)off, (uint64_t)oldsize, (uint64_t)newsize, old, keep);
    int changes = newsize != oldsize;
    size_t at = 0;
    for (int i = 0; i < cnt && at < keep && !changes; i++) {
        size_t n = data[i].iov_len < keep - at ? data[i].iov_len : keep - at;
        changes = memcmp(old + at, data[i].iov_base, n) != 0;
        at += n;
    }
    if (!data && keep) changes = 1;
    free(old);
    return changes;
}

// After a watched change, with mu held: once the trigger file exists, the power goes out right after the
// POWERCUT_KILL_AFTER+1-th change that alters a file (a file whose path ends in POWERCUT_CUT_FILE, if set): the
// last change is then certainly lost, as nothing can fsync it.
static int cut_candidate;  // set by before_* for after_write, under mu
static void maybe_cut(void) {
    if (!trigger_path) return;
    if (!armed && access(trigger_path, F_OK) == 0) armed = 1;
    if (armed && cut_candidate && kill_after-- <= 0) {
        journal('K', NULL, 0, 0, 0, NULL, 0);
        kill(getpid(), SIGKILL);
        for (;;) pause();
    }
}

static int cut_file_matches(const char *path) {
    if (!cut_file) return 1;
    size_t n = strlen(path), m = strlen(cut_file);
    return n >= m && strcmp(path + n - m, cut_file) == 0;
}

// Prepares a write of the buffers at off (or at the descriptor's position when positional is 0). Returns 1 with mu
// held if the descriptor is watched; the caller writes, then calls after_write.
static int before_write(int fd, int positional, off_t off, const struct iovec *iov, int cnt) {
    char path[PATH_MAX];
    struct stat st;
    if (!fd_watched(fd, path, &st) || !S_ISREG(st.st_mode)) return 0;
    lock();
    fstat(fd, &st);  // the size again, now that no other watched change can run
    if (!positional) {
        int flags = fcntl(fd, F_GETFL);
        off = (flags >= 0 && (flags & O_APPEND)) ? st.st_size : lseek(fd, 0, SEEK_CUR);
        if (off < 0) off = st.st_size;
    }
    size_t len = 0;
    for (int i = 0; i < cnt; i++) len += iov[i].iov_len;
    off_t end = off + (off_t)len;
    int changes = record_undo(fd, path, st.st_size, off, len, end > st.st_size ? end : st.st_size, iov, cnt);
    cut_candidate = changes && cut_file_matches(path);
    return 1;
}

static void after_write(void) {
    maybe_cut();
    cut_candidate = 0;
    unlock();
}

// ---- writes ------------------------------------------------------------------------------------------------------

#define WRAP_WRITE(call, positional, off, iov, cnt)                                                               \
    do {                                                                                                           \
        int watched_ = before_write(fd, positional, off, iov, cnt);                                                \
        int saved_;                                                                                                \
        __typeof__(call) r_ = call;                                                                                \
        saved_ = errno;                                                                                            \
        if (watched_) after_write();                                                                               \
        errno = saved_;                                                                                            \
        return r_;                                                                                                 \
    } while (0)
#define WRAP_WRITE1(call, positional, off, buf, n)                                                                \
    do {                                                                                                           \
        struct iovec one_ = {(void *)(buf), (n)};                                                                  \
        WRAP_WRITE(call, positional, off, &one_, 1);                                                               \
    } while (0)

ssize_t write(int fd, const void *buf, size_t n) { WRAP_WRITE1(get_write()(fd, buf, n), 0, 0, buf, n); }
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
    WRAP_WRITE1(get_pwrite()(fd, buf, n, off), 1, off, buf, n);
}
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
    WRAP_WRITE1(get_pwrite64()(fd, buf, n, off), 1, off, buf, n);
}
ssize_t writev(int fd, const struct iovec *iov, int cnt) { WRAP_WRITE(get_writev()(fd, iov, cnt), 0, 0, iov, cnt); }
ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
    WRAP_WRITE(get_pwritev()(fd, iov, cnt, off), 1, off, iov, cnt);
}
ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off) {
    WRAP_WRITE(get_pwritev64()(fd, iov, cnt, off), 1, off, iov, cnt);
}
ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags) {
    WRAP_WRITE(get_pwritev2()(fd, iov, cnt, off, flags), off != -1, off, iov, cnt);
}
ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off64_t off, int flags) {
    WRAP_WRITE(get_pwritev64v2()(fd, iov, cnt, off, flags), off != -1, off, iov, cnt);
}

// ---- size changes ------------------------------------------------------------------------------------------------

static int before_resize(int fd, off_t newsize) {
    char path[PATH_MAX];
    struct stat st;
    if (!fd_watched(fd, path, &st) || !S_ISREG(st.st_mode)) return 0;
    lock();
    fstat(fd, &st);
    // Shrinking: keep the bytes cut off. Growing: the new bytes read as zeros; the old size is enough.
    int changes = newsize < st.st_size
                      ? record_undo(fd, path, st.st_size, newsize, (size_t)(st.st_size - newsize), newsize, NULL, 0)
                      : record_undo(fd, path, st.st_size, st.st_size, 0, newsize, NULL, 0);
    cut_candidate = changes && cut_file_matches(path);
    return 1;
}

#define WRAP_RESIZE(call, fd, newsize)                                                                            \
    do {                                                                                                           \
        int watched_ = before_resize(fd, newsize);                                                                 \
        int r_ = call, saved_ = errno;                                                                             \
        if (watched_) after_write();                                                                               \
        errno = saved_;                                                                                            \
        return r_;                                                                                                 \
    } while (0)

int ftruncate(int fd, off_t len) { WRAP_RESIZE(get_ftruncate()(fd, len), fd, len); }
int ftruncate64(int fd, off64_t len) { WRAP_RESIZE(get_ftruncate64()(fd, len), fd, len); }

static int truncate_path(const char *path, off_t len, int (*real)(int, off_t)) {
    char canon[PATH_MAX];
    if (!path_watched(AT_FDCWD, path, canon)) return -2;
    int fd = get_open()(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    int r = real(fd, len), saved = errno;  // through the wrapper above: journalled
    close(fd);
    errno = saved;
    return r;
}
int truncate(const char *path, off_t len) {
    int r = truncate_path(path, len, ftruncate);
    return r == -2 ? get_truncate()(path, len) : r;
}
int truncate64(const char *path, off64_t len) {
    int r = truncate_path(path, len, ftruncate);
    return r == -2 ? get_truncate64()(path, len) : r;
}

// fallocate mode 0 grows the file (zeros); FALLOC_FL_KEEP_SIZE (1) changes no byte a reader sees. Punching holes,
// zeroing, collapsing or inserting ranges change bytes: not modelled.
static int before_fallocate(int fd, int mode, off_t off, off_t len) {
    char path[PATH_MAX];
    struct stat st;
    if (!fd_watched(fd, path, &st) || !S_ISREG(st.st_mode)) return 0;
    lock();
    fstat(fd, &st);
    if (mode & ~1) note('X', path, "fallocate with a mode that changes bytes");
    off_t end = off + len;
    off_t newsize = (mode & 1) || end <= st.st_size ? st.st_size : end;
    cut_candidate = record_undo(fd, path, st.st_size, st.st_size, 0, newsize, NULL, 0) && cut_file_matches(path);
    return 1;
}
#define WRAP_FALLOCATE(call, mode)                                                                                \
    do {                                                                                                           \
        int watched_ = before_fallocate(fd, mode, off, len);                                                       \
        int r_ = call, saved_ = errno;                                                                             \
        if (watched_) after_write();                                                                               \
        errno = saved_;                                                                                            \
        return r_;                                                                                                 \
    } while (0)
int fallocate(int fd, int mode, off_t off, off_t len) { WRAP_FALLOCATE(get_fallocate()(fd, mode, off, len), mode); }
int fallocate64(int fd, int mode, off64_t off, off64_t len) {
    WRAP_FALLOCATE(get_fallocate64()(fd, mode, off, len), mode);
}
int posix_fallocate(int fd, off_t off, off_t len) { WRAP_FALLOCATE(get_posix_fallocate()(fd, off, len), 0); }
int posix_fallocate64(int fd, off64_t off, off64_t len) { WRAP_FALLOCATE(get_posix_fallocate64()(fd, off, len), 0); }

// ---- durability points -------------------------------------------------------------------------------------------

// 'S' (begin) before the real call, 'E' (end, with 0 or errno) after it: a sync covers the changes journalled before
// its begin record, and only if its end record says it succeeded. A kill during the call honours nothing.
static int synced(int fd, int (*real)(int)) {
    char path[PATH_MAX];
    struct stat st;
    if (!fd_watched(fd, path, &st)) return real(fd);
    lock();
    uint64_t id = next_id();
    journal('S', path, id, S_ISDIR(st.st_mode), 0, NULL, 0);
    unlock();
    int r = real(fd), saved = errno;
    lock();
    journal('E', path, id, r == 0 ? 0 : (uint64_t)saved, 0, NULL, 0);
    unlock();
    errno = saved;
    return r;
}
int fsync(int fd) { return synced(fd, get_fsync()); }
int fdatasync(int fd) { return synced(fd, get_fdatasync()); }

// sync() and syncfs(): everything journalled before the begin record ('A') is durable once the end ('B') is there.
static uint64_t sync_all_begin(void) {
    if (!active) return 0;
    lock();
    uint64_t id = next_id();
    journal('A', NULL, id, 0, 0, NULL, 0);
    unlock();
    return id;
}
static void sync_all_end(uint64_t id, int failed) {
    if (!active) return;
    lock();
    journal('B', NULL, id, (uint64_t)failed, 0, NULL, 0);
    unlock();
}
void sync(void) {
    uint64_t id = sync_all_begin();
    get_sync()();
    sync_all_end(id, 0);
}
int syncfs(int fd) {
    uint64_t id = sync_all_begin();
    int r = get_syncfs()(fd), saved = errno;
    sync_all_end(id, r != 0);
    errno = saved;
    return r;
}

// Neither makes anything durable here: journalled as notes, so a replay can say they were used.
int sync_file_range(int fd, off64_t off, off64_t n, unsigned int flags) {
    char path[PATH_MAX];
    struct stat st;
    if (fd_watched(fd, path, &st)) {
        lock();
        note('N', path, "sync_file_range (not a durability point)");
        unlock();
    }
    return get_sync_file_range()(fd, off, n, flags);
}
int msync(void *addr, size_t len, int flags) {
    if (active) {
        lock();
        note('N', NULL, "msync (not a durability point; shared writable maps of watched files are refused)");
        unlock();
    }
    return get_msync()(addr, len, flags);
}

// ---- names -------------------------------------------------------------------------------------------------------

static int exists(const char *canon, struct stat *st) { return fstatat(AT_FDCWD, canon, st, 0) == 0; }

// Every open goes through here. A watched name that does not exist yet and is opened with O_CREAT is journalled as
// created ('C', cancelled by 'c' if the open fails); O_TRUNC of a watched non-empty file keeps its old bytes first.
static int opened(int dirfd, const char *path, int flags, mode_t mode, int (*real)(int, const char *, int, mode_t)) {
    char canon[PATH_MAX];
    if (!(flags & (O_CREAT | O_TRUNC)) || !path_watched(dirfd, path, canon)) return real(dirfd, path, flags, mode);
    lock();
    struct stat st;
    int existed = exists(canon, &st);
    uint64_t created = 0;
    if (!existed && (flags & O_CREAT)) {
        created = next_id();
        journal('C', canon, created, 0, 0, NULL, 0);
    } else if (existed && (flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && S_ISREG(st.st_mode) &&
               st.st_size > 0) {
        int rfd = get_open()(canon, O_RDONLY | O_CLOEXEC);
        if (rfd >= 0) {
            record_undo(rfd, canon, st.st_size, 0, (size_t)st.st_size, 0, NULL, 0);
            close(rfd);
        }
    }
    int fd = real(dirfd, path, flags, mode), saved = errno;
    if (fd < 0 && created) journal('c', canon, created, 0, 0, NULL, 0);
    unlock();
    errno = saved;
    return fd;
}
static int real_open_at(int dirfd, const char *path, int flags, mode_t mode) {
    return dirfd == AT_FDCWD ? get_open()(path, flags, mode) : get_openat()(dirfd, path, flags, mode);
}
static int real_open64_at(int dirfd, const char *path, int flags, mode_t mode) {
    return dirfd == AT_FDCWD ? get_open64()(path, flags, mode) : get_openat64()(dirfd, path, flags, mode);
}
static mode_t mode_arg(int flags, va_list ap) {
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}
int open(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return opened(AT_FDCWD, path, flags, mode, real_open_at);
}
int open64(const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return opened(AT_FDCWD, path, flags, mode, real_open64_at);
}
int openat(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return opened(dirfd, path, flags, mode, real_open_at);
}
int openat64(int dirfd, const char *path, int flags, ...) {
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return opened(dirfd, path, flags, mode, real_open64_at);
}
int __open_2(const char *path, int flags) { return opened(AT_FDCWD, path, flags, 0, real_open_at); }
int __open64_2(const char *path, int flags) { return opened(AT_FDCWD, path, flags, 0, real_open64_at); }
int __openat_2(int dirfd, const char *path, int flags) { return opened(dirfd, path, flags, 0, real_open_at); }
int __openat64_2(int dirfd, const char *path, int flags) { return opened(dirfd, path, flags, 0, real_open64_at); }
int creat(const char *path, mode_t mode) { return open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }
int creat64(const char *path, mode_t mode) { return open64(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

static int made_dir(int dirfd, const char *path, mode_t mode) {
    char canon[PATH_MAX];
    int (*real_at)(int, const char *, mode_t) = get_mkdirat();
    if (!path_watched(dirfd, path, canon)) return real_at(dirfd, path, mode);
    lock();
    uint64_t created = next_id();
    journal('C', canon, created, 1, 0, NULL, 0);
    int r = real_at(dirfd, path, mode), saved = errno;
    if (r != 0) journal('c', canon, created, 0, 0, NULL, 0);
    unlock();
    errno = saved;
    return r;
}
int mkdir(const char *path, mode_t mode) { return made_dir(AT_FDCWD, path, mode); }
int mkdirat(int dirfd, const char *path, mode_t mode) { return made_dir(dirfd, path, mode); }

// Name changes the replay cannot undo: journalled as 'X' before they happen.
static void refuse_path(int dirfd, const char *path, const char *what) {
    char canon[PATH_MAX];
    if (!path_watched(dirfd, path, canon)) return;
    lock();
    note('X', canon, what);
    unlock();
}
int unlink(const char *p) { refuse_path(AT_FDCWD, p, "unlink"); return get_unlink()(p); }
int unlinkat(int d, const char *p, int f) { refuse_path(d, p, "unlinkat"); return get_unlinkat()(d, p, f); }
int rmdir(const char *p) { refuse_path(AT_FDCWD, p, "rmdir"); return get_rmdir()(p); }
int rename(const char *a, const char *b) {
    refuse_path(AT_FDCWD, a, "rename from");
    refuse_path(AT_FDCWD, b, "rename to");
    return get_rename()(a, b);
}
int renameat(int da, const char *a, int db, const char *b) {
    refuse_path(da, a, "rename from");
    refuse_path(db, b, "rename to");
    return get_renameat()(da, a, db, b);
}
int renameat2(int da, const char *a, int db, const char *b, unsigned int f) {
    refuse_path(da, a, "rename from");
    refuse_path(db, b, "rename to");
    return get_renameat2()(da, a, db, b, f);
}
int link(const char *a, const char *b) { refuse_path(AT_FDCWD, b, "link"); return get_link()(a, b); }
int linkat(int da, const char *a, int db, const char *b, int f) {
    refuse_path(db, b, "link");
    return get_linkat()(da, a, db, b, f);
}
int symlink(const char *a, const char *b) { refuse_path(AT_FDCWD, b, "symlink"); return get_symlink()(a, b); }
int symlinkat(const char *a, int d, const char *b) { refuse_path(d, b, "symlink"); return get_symlinkat()(a, d, b); }

// Data paths the replay cannot undo: journalled as 'X'.
static void refuse_fd(int fd, const char *what) {
    char path[PATH_MAX];
    struct stat st;
    if (!fd_watched(fd, path, &st)) return;
    lock();
    note('X', path, what);
    unlock();
}
ssize_t copy_file_range(int in, off64_t *ip, int out, off64_t *op, size_t n, unsigned int f) {
    refuse_fd(out, "copy_file_range into");
    return get_copy_file_range()(in, ip, out, op, n, f);
}
ssize_t sendfile(int out, int in, off_t *off, size_t n) {
    refuse_fd(out, "sendfile into");
    return get_sendfile()(out, in, off, n);
}
ssize_t sendfile64(int out, int in, off64_t *off, size_t n) {
    refuse_fd(out, "sendfile into");
    return get_sendfile64()(out, in, off, n);
}
ssize_t splice(int in, off64_t *ip, int out, off64_t *op, size_t n, unsigned int f) {
    refuse_fd(out, "splice into");
    return get_splice()(in, ip, out, op, n, f);
}
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
    if (fd >= 0 && (prot & PROT_WRITE) && (flags & MAP_SHARED)) refuse_fd(fd, "shared writable mmap");
    return get_mmap()(addr, len, prot, flags, fd, off);
}
void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off) {
    if (fd >= 0 && (prot & PROT_WRITE) && (flags & MAP_SHARED)) refuse_fd(fd, "shared writable mmap");
    return get_mmap64()(addr, len, prot, flags, fd, off);
}
