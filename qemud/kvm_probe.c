#define MV_LOG_MODULE "qemud.kvm_probe"
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "cleanup.h"
#include "file.h"
#include "kvm_probe.h"
#include "log.h"
#include "monotime.h"
#include "process.h"

#define KVM_DEFAULT_DEV "/dev/kvm"
#define KVM_EXPECTED_API 12
#define GUEST_MEM_SIZE 0x4000
#define REAP_GRACE_MS 1000

/* What the child reports: the step it reached and why it stopped. */
enum probe_step {
    STEP_OPEN = 1,
    STEP_API_VERSION,
    STEP_CREATE_VM,
    STEP_GUEST_MEMORY,
    STEP_SET_MEMORY,
    STEP_CREATE_VCPU,
    STEP_GET_CPUID,
    STEP_SET_CPUID,
    STEP_RUN_SIZE,
    STEP_MMAP_RUN,
    STEP_GET_SREGS,
    STEP_SET_SREGS,
    STEP_SET_REGS,
    STEP_RUN,
    STEP_EXIT_REASON,
    STEP_HALTED,
};

struct probe_result {
    int step;
    int err;            /* errno of the failing call */
    int value;          /* API version or exit reason */
};

static const char *const step_call[] = {
    [STEP_OPEN] = "open",
    [STEP_API_VERSION] = "KVM_GET_API_VERSION",
    [STEP_CREATE_VM] = "KVM_CREATE_VM",
    [STEP_GUEST_MEMORY] = "allocating guest memory",
    [STEP_SET_MEMORY] = "KVM_SET_USER_MEMORY_REGION",
    [STEP_CREATE_VCPU] = "KVM_CREATE_VCPU",
    [STEP_GET_CPUID] = "KVM_GET_SUPPORTED_CPUID",
    [STEP_SET_CPUID] = "KVM_SET_CPUID2",
    [STEP_RUN_SIZE] = "KVM_GET_VCPU_MMAP_SIZE",
    [STEP_MMAP_RUN] = "mmap of kvm_run",
    [STEP_GET_SREGS] = "KVM_GET_SREGS",
    [STEP_SET_SREGS] = "KVM_SET_SREGS",
    [STEP_SET_REGS] = "KVM_SET_REGS",
    [STEP_RUN] = "KVM_RUN",
};

/*
 * The test guest.  A bare HLT is not enough: on a PVM host (kvm_pvm, no
 * VT-x/SVM) KVM reaches it, but emulates every instruction of an ordinary
 * guest at ~1.5 million per second, so a real kernel never finishes booting.
 * So the guest first spins through GUEST_LOOPS iterations (2 instructions
 * each) in 64-bit mode, where guests live; hardware virtualization does that
 * in a few milliseconds, emulation takes over ten seconds.
 *
 *   0x0000: mov ecx, GUEST_LOOPS; 1: dec ecx; jnz 1b; hlt
 *   0x1000: PML4 -> 0x2000: PDPT -> 0x3000: PD mapping 0-2 MiB (one large page)
 */
#define GUEST_LOOPS 10000000u
#define GUEST_PML4 0x1000
#define GUEST_PDPT 0x2000
#define GUEST_PD 0x3000
#define CPUID_ENTRIES_MAX 256

static void setup_guest(uint8_t *mem)
{
    static const uint8_t code[] = {
        0xb9, 0, 0, 0, 0,       /* mov ecx, imm32 */
        0xff, 0xc9,             /* dec ecx */
        0x75, 0xfc,             /* jnz -4 */
        0xf4,                   /* hlt */
    };
    uint32_t loops = GUEST_LOOPS;
    uint64_t entry;

    memcpy(mem, code, sizeof(code));
    memcpy(mem + 1, &loops, sizeof(loops));
    entry = GUEST_PDPT | 0x3;                   /* present, writable */
    memcpy(mem + GUEST_PML4, &entry, sizeof(entry));
    entry = GUEST_PD | 0x3;
    memcpy(mem + GUEST_PDPT, &entry, sizeof(entry));
    entry = 0x0 | 0x83;                         /* present, writable, 2 MiB page */
    memcpy(mem + GUEST_PD, &entry, sizeof(entry));
}

static void setup_long_mode(struct kvm_sregs *sregs)
{
    struct kvm_segment seg = {
        .base = 0, .limit = 0xffffffff, .selector = 1 << 3, .present = 1,
        .type = 11 /* code: execute, read, accessed */, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
    };

    sregs->cr3 = GUEST_PML4;
    sregs->cr4 = 1u << 5;                       /* PAE */
    sregs->cr0 = 0x80050033;                    /* PG, AM, WP, NE, ET, MP, PE */
    sregs->efer = 0x500;                        /* LME, LMA */
    sregs->cs = seg;
    seg.type = 3;                               /* data: read, write, accessed */
    seg.selector = 2 << 3;
    seg.l = 0;
    seg.db = 1;
    sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = seg;
}

/*
 * The child: system calls only (it was forked from a possibly threaded
 * process), no cleanup needed since it _exits.
 */
static __attribute__((noreturn)) void probe_child(const char *dev, int result_fd)
{
    static struct {
        struct kvm_cpuid2 head;
        struct kvm_cpuid_entry2 entries[CPUID_ENTRIES_MAX];
    } cpuid;
    struct probe_result res = { 0 };
    struct kvm_userspace_memory_region region = { 0 };
    struct kvm_sregs sregs;
    struct kvm_regs regs = { 0 };
    struct kvm_run *run;
    uint8_t *mem;
    int kvm, vm, vcpu, size;

#define FAIL(s) do { res.step = (s); res.err = errno; goto done; } while (0)
    /* hold none of the daemon's sockets while this child lives: only the result pipe */
    if (result_fd > 3)
        close_range(3, (unsigned int)result_fd - 1, 0);
    close_range((unsigned int)result_fd + 1, ~0U, 0);
    kvm = open(dev, O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        FAIL(STEP_OPEN);
    res.value = ioctl(kvm, KVM_GET_API_VERSION, 0);
    if (res.value != KVM_EXPECTED_API)
        FAIL(STEP_API_VERSION);
    vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        FAIL(STEP_CREATE_VM);
    mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED)
        FAIL(STEP_GUEST_MEMORY);
    setup_guest(mem);
    region.slot = 0;
    region.guest_phys_addr = 0;
    region.memory_size = GUEST_MEM_SIZE;
    region.userspace_addr = (uintptr_t)mem;
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        FAIL(STEP_SET_MEMORY);
    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0)
        FAIL(STEP_CREATE_VCPU);
    /* long mode needs the LM CPUID bit in the guest, as QEMU sets it */
    cpuid.head.nent = CPUID_ENTRIES_MAX;
    if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &cpuid) < 0)
        FAIL(STEP_GET_CPUID);
    if (ioctl(vcpu, KVM_SET_CPUID2, &cpuid) < 0)
        FAIL(STEP_SET_CPUID);
    size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (size < (int)sizeof(*run))
        FAIL(STEP_RUN_SIZE);
    run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED)
        FAIL(STEP_MMAP_RUN);
    if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        FAIL(STEP_GET_SREGS);
    setup_long_mode(&sregs);
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
        FAIL(STEP_SET_SREGS);
    regs.rip = 0;
    regs.rflags = 0x2;  /* bit 1 is reserved and must be set */
    if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
        FAIL(STEP_SET_REGS);
    /* a host signal may interrupt the run (EINTR / KVM_EXIT_INTR): resume */
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            FAIL(STEP_RUN);
        }
        if (run->exit_reason != KVM_EXIT_INTR)
            break;
    }
    res.value = (int)run->exit_reason;
    res.step = run->exit_reason == KVM_EXIT_HLT ? STEP_HALTED : STEP_EXIT_REASON;
#undef FAIL
done:
    (void)!write(result_fd, &res, sizeof(res));
    _exit(0);
}

static int set_reason(char **reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_reason(char **reason, const char *fmt, ...)
{
    va_list ap;
    char *msg;
    int r;

    va_start(ap, fmt);
    r = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (r < 0)
        return -ENOMEM;
    if (reason)
        *reason = msg;
    else
        free(msg);
    return 0;
}

static int describe(const struct probe_result *res, const char *dev, char **reason)
{
    switch (res->step) {
    case STEP_HALTED:
        return 1;
    case STEP_OPEN:
        return set_reason(reason, "cannot open %s: %s", dev, strerror(res->err));
    case STEP_API_VERSION:
        if (res->value < 0)
            return set_reason(reason, "KVM_GET_API_VERSION failed: %s", strerror(res->err));
        return set_reason(reason, "KVM API version %d, expected %d", res->value, KVM_EXPECTED_API);
    case STEP_EXIT_REASON:
        return set_reason(reason, "a test vCPU exited with reason %d instead of HLT (%d)",
                          res->value, KVM_EXIT_HLT);
    default:
        if (res->step > 0 && res->step < (int)MV_ARRAY_SIZE(step_call) && step_call[res->step])
            return set_reason(reason, "%s failed: %s", step_call[res->step], strerror(res->err));
        return set_reason(reason, "the KVM test child reported nothing usable");
    }
}

int mv_kvm_probe(const char *dev_path, char **reason)
{
    _cleanup_close_ int rd = -1, wr = -1;
    const char *dev = dev_path ? dev_path : KVM_DEFAULT_DEV;
    struct probe_result res = { 0 };
    size_t got = 0;
    long long deadline;
    struct stat st;
    int fds[2], r;
    pid_t pid;

    if (stat(dev, &st) < 0) {
        if (errno == ENOENT)
            r = set_reason(reason, "no %s", dev);
        else
            r = set_reason(reason, "cannot access %s: %s", dev, strerror(errno));
        return r;
    }
    if (!S_ISCHR(st.st_mode))
        return set_reason(reason, "%s is not a character device", dev);

    if (pipe2(fds, O_CLOEXEC) < 0)
        return -errno;
    rd = fds[0], wr = fds[1];
    deadline = mv_now_ms() + MV_KVM_PROBE_TIMEOUT_MS;
    pid = fork();
    if (pid < 0)
        return -errno;
    if (pid == 0) {
        close(rd);
        probe_child(dev, wr);
    }
    close(TAKE_FD(wr));

    while (got < sizeof(res)) {
        struct pollfd pfd = { .fd = rd, .events = POLLIN };
        int left = (int)(deadline - mv_now_ms());
        ssize_t n;

        if (left <= 0)
            break;
        r = poll(&pfd, 1, left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n = read(rd, (char *)&res + got, sizeof(res) - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }

    if (got < sizeof(res)) {
        if (mv_process_kill_reap(pid, REAP_GRACE_MS) <= 0)
            mv_debug("KVM test child %d did not die after SIGKILL; left unreaped", (int)pid);
        if (mv_now_ms() >= deadline)
            return set_reason(reason, "a test vCPU did not run to HLT within %d s"
                              " (%u million guest loop iterations: KVM runs guest code far too"
                              " slowly or not at all here%s)", MV_KVM_PROBE_TIMEOUT_MS / 1000,
                              GUEST_LOOPS / 1000000,
                              access("/sys/module/kvm_pvm", F_OK) == 0 ?
                              "; its KVM is kvm_pvm, which runs only PVM-enabled guest kernels" : "");
        return set_reason(reason, "the KVM test child died before reporting");
    }
    if (mv_process_reap(pid, REAP_GRACE_MS, NULL) <= 0)
        mv_process_kill_reap(pid, REAP_GRACE_MS);
    r = describe(&res, dev, reason);
    if (r == 0)
        mv_debug("KVM on %s is not usable: %s", dev, reason && *reason ? *reason : "?");
    return r;
}

int mv_kvm_max_vcpus(const char *dev_path)
{
    _cleanup_close_ int fd = open(dev_path ? dev_path : KVM_DEFAULT_DEV, O_RDWR | O_CLOEXEC);
    int n;

    if (fd < 0)
        return -errno;
    n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
    if (n <= 0)
        n = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
    if (n < 0)
        return -errno;
    if (n == 0)
        return -EOPNOTSUPP;
    return n;
}

/* ---- the verdict, cached across daemon starts ---- */

#define CACHE_FORMAT "modvirt-kvm-probe 1"
#define CACHE_MAX 8192

/*
 * Everything the verdict depends on, as one line: the kernel (release and
 * this boot, so a BIOS or module change is seen after the reboot it needs),
 * the /dev/kvm node (recreated when the KVM modules are reloaded) and the
 * QEMU binary (size and mtime: replaced on upgrade).  -errno if one of them
 * cannot be read: then there is no caching.
 */
static int cache_key(const char *dev, const char *qemu_binary, char **key)
{
    _cleanup_free_ char *boot = NULL;
    struct stat q, d;
    struct utsname u;
    char devid[96];
    int r;

    if (uname(&u) < 0)
        return -errno;
    r = mv_file_read_line("/proc/sys/kernel/random/boot_id", &boot);
    if (r < 0)
        return r;
    if (stat(qemu_binary, &q) < 0)
        return -errno;
    if (stat(dev, &d) == 0)
        snprintf(devid, sizeof(devid), "%llu:%llu@%lld.%09ld", (unsigned long long)d.st_rdev,
                 (unsigned long long)d.st_ino, (long long)d.st_ctim.tv_sec, d.st_ctim.tv_nsec);
    else
        snprintf(devid, sizeof(devid), "none");
    if (strchr(qemu_binary, '\n') || strchr(dev, '\n'))
        return -EINVAL;
    if (asprintf(key, CACHE_FORMAT " kernel=%s boot=%s dev=%s:%s qemu=%s:%lld@%lld.%09ld",
                 u.release, boot, dev, devid, qemu_binary, (long long)q.st_size,
                 (long long)q.st_mtim.tv_sec, q.st_mtim.tv_nsec) < 0)
        return -ENOMEM;
    return 0;
}

/* The verdict in CACHE_PATH if it was made for KEY: 1, or 0 with *reason; -ENOENT otherwise. */
static int cache_read(const char *cache_path, const char *key, char **reason)
{
    _cleanup_free_ char *text = NULL;
    size_t klen = strlen(key);
    const char *v;
    char *end;

    if (mv_file_read_all(cache_path, CACHE_MAX, &text, NULL) < 0)
        return -ENOENT;
    if (strncmp(text, key, klen) != 0 || text[klen] != '\n')
        return -ENOENT;
    v = text + klen + 1;
    end = strchr(v, '\n');
    if (!end || end[1] != '\0')
        return -ENOENT;
    *end = '\0';
    if (strcmp(v, "usable") == 0)
        return 1;
    if (strncmp(v, "unusable: ", 10) != 0 || !v[10])
        return -ENOENT;
    return set_reason(reason, "%s", v + 10);
}

static void cache_write(const char *cache_path, const char *key, int verdict, const char *reason)
{
    _cleanup_free_ char *text = NULL;
    int n, r;

    if (verdict)
        n = asprintf(&text, "%s\nusable\n", key);
    else
        n = asprintf(&text, "%s\nunusable: %s\n", key, reason && !strchr(reason, '\n') ? reason : "?");
    if (n < 0)
        return;
    r = mv_file_write_atomic(cache_path, text, (size_t)n, 0644);
    if (r < 0)
        mv_debug("cannot write the KVM probe cache %s: %s", cache_path, strerror(-r));
}

int mv_kvm_probe_cached(const char *dev_path, const char *qemu_binary, const char *cache_path,
                        char **reason, bool *cached)
{
    const char *dev = dev_path ? dev_path : KVM_DEFAULT_DEV;
    _cleanup_free_ char *key = NULL;
    _cleanup_free_ char *why = NULL;
    int r;

    *cached = false;
    if (!cache_path || !qemu_binary || cache_key(dev, qemu_binary, &key) < 0)
        return mv_kvm_probe(dev, reason);
    r = cache_read(cache_path, key, &why);
    if (r >= 0) {
        *cached = true;
        if (r == 0 && reason)
            *reason = TAKE_PTR(why);
        return r;
    }
    r = mv_kvm_probe(dev, &why);
    if (r >= 0)
        cache_write(cache_path, key, r, why);
    if (r == 0 && reason)
        *reason = TAKE_PTR(why);
    return r;
}
