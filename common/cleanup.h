/* Scope-bound cleanup for heap pointers and file descriptors (gcc/clang). */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void mv_freep(void *p) { free(*(void **)p); }
static inline void mv_closep(const int *fd) { if (*fd >= 0) close(*fd); }
static inline void mv_fclosep(FILE **f) { if (*f) fclose(*f); }

/* Free a NULL-terminated string vector; NULL is fine. */
void mv_strv_free(char **v);
static inline void mv_strv_freep(char ***v) { mv_strv_free(*v); }

#define _cleanup_free_ _cleanup_(mv_freep)
#define _cleanup_close_ _cleanup_(mv_closep)
#define _cleanup_fclose_ _cleanup_(mv_fclosep)
#define _cleanup_strv_free_ _cleanup_(mv_strv_freep)

/* Declares NAME##p for _cleanup_(NAME##p) over a destructor that takes NULL. */
#define MV_DEFINE_CLEANUP(type, func) \
    static inline void func##p(type **p) { func(*p); }

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _tp = (p); (p) = NULL; _tp; })
#define TAKE_FD(fd) ({ int _tfd = (fd); (fd) = -1; _tfd; })

#define MV_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
