#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testns.h"

int mv_test_enter_netns(void)
{
    if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
        return -errno;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -errno;
    if (mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return -errno;
    return 0;
}

bool mv_test_probe(int (*probe)(void))
{
    pid_t pid = fork();
    int status;

    if (pid == 0)
        _exit(probe() == 0 ? 0 : 1);
    return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void mv_test_list_links(char *out, size_t size)
{
    struct dirent **names = NULL;
    int n = scandir("/sys/class/net", &names, NULL, alphasort);
    size_t len = 0;

    out[0] = '\0';
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.')
            len += snprintf(out + len, len < size ? size - len : 0, "%s%s",
                            len ? " " : "", names[i]->d_name);
        free(names[i]);
    }
    free(names);
}
