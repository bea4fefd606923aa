/* The backend of each pool type (backend.h). */
#include <stdlib.h>

#include "backend.h"

extern const struct mv_pool_backend mv_pool_backend_dir;
extern const struct mv_pool_backend mv_pool_backend_fs;
extern const struct mv_pool_backend mv_pool_backend_logical;
extern const struct mv_pool_backend mv_pool_backend_netfs;

const struct mv_pool_backend *mv_pool_backend_for(int type)
{
    switch (type) {
    case MV_POOL_DIR: return &mv_pool_backend_dir;
    case MV_POOL_FS: return &mv_pool_backend_fs;
    case MV_POOL_LOGICAL: return &mv_pool_backend_logical;
    case MV_POOL_NETFS: return &mv_pool_backend_netfs;
    default: return NULL;
    }
}

void mv_pool_vols_free(struct mv_pool_vol *vols, size_t n)
{
    for (size_t i = 0; vols && i < n; i++) {
        free(vols[i].name);
        free(vols[i].path);
        mv_volfile_info_clear(&vols[i].info);
    }
    free(vols);
}
