#define _XOPEN_SOURCE 700
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include "testutil.h"

void mv_test_mkdtemp(char *dir, size_t size, const char *prefix)
{
    /* a fresh template each time: mkdtemp() overwrites it */
    ck_assert_int_lt(snprintf(dir, size, "/tmp/%s.XXXXXX", prefix), (int)size);
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

void mv_test_rmtree(const char *dir)
{
    if (dir && *dir)
        nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *mv_test_data_path(const char *sub, const char *name)
{
    const char *top = getenv("top_srcdir");
    char *p;

    ck_assert(asprintf(&p, "%s/tests/data/%s/%s", top ? top : ".", sub, name) > 0);
    return p;
}
