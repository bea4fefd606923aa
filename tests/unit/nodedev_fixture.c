#include "config.h"

#include <check.h>
#include <errno.h>
#include <libgen.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "nodedev_fixture.h"
#include "testns.h"
#include "testutil.h"

static const char *top_srcdir(void)
{
    const char *top = getenv("top_srcdir");

    return top ? top : ".";
}

char *nodedev_fixture_build(const char *name)
{
    char dir[256], *sysdir = NULL, *script = NULL;
    int status = -1;
    pid_t pid;

    mv_test_mkdtemp(dir, sizeof(dir), "nodedev-fixture");
    ck_assert(asprintf(&sysdir, "%s/sys", dir) > 0);
    ck_assert(asprintf(&script, "%s/tests/nodedev/mkfixture.sh", top_srcdir()) > 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execl("/bin/bash", "bash", script, name, sysdir, (char *)NULL);
        _exit(127);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "%s %s %s failed (status %d)", script, name, sysdir, status);
    free(script);
    return sysdir;
}

void nodedev_fixture_remove(char *sysdir)
{
    if (!sysdir)
        return;
    mv_test_rmtree(dirname(sysdir));    /* the mkdtemp directory */
    free(sysdir);
}

int nodedev_fixture_enter(const char *sysdir)
{
    if (unshare(CLONE_NEWNS) < 0)
        return -errno;
    /* nothing mounted here may reach the machine's namespace */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -errno;
    if (mount(sysdir, "/sys", NULL, MS_BIND | MS_REC, NULL) < 0)
        return -errno;
    /* sd-device checks that a device's directory is on a sysfs (statfs);
     * this is its documented switch for trees that are not */
    return setenv("SYSTEMD_DEVICE_VERIFY_SYSFS", "0", 1) < 0 ? -errno : 0;
}

static int probe_ns(void)
{
    if (unshare(CLONE_NEWNS) < 0)
        return -errno;
    return mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ? -errno : 0;
}

bool nodedev_fixture_possible(void)
{
    return mv_test_probe(probe_ns);
}

char **nodedev_fixture_list(void)
{
    _cleanup_free_ char *path = NULL;
    _cleanup_fclose_ FILE *f = NULL;
    char line[256], **names = NULL;
    size_t n = 0;

    if (asprintf(&path, "%s/tests/nodedev/fixtures.list", top_srcdir()) < 0)
        exit(99);
    f = fopen(path, "re");
    if (!f) {
        printf("Bail out! cannot read %s: %s\n", path, strerror(errno));
        exit(99);
    }
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, " \t\r\n#")] = '\0';
        if (!*line)
            continue;
        names = realloc(names, (n + 2) * sizeof(*names));
        if (!names || !(names[n] = strdup(line)))
            exit(99);
        names[++n] = NULL;
    }
    if (!n) {
        printf("Bail out! %s names no fixture\n", path);
        exit(99);
    }
    return names;
}
