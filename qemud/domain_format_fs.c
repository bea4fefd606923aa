/* struct mv_dom_fs -> <filesystem>, in virsh dumpxml's layout. */
#include "config.h"

#include "domain_def.h"
#include "domain_format_priv.h"
#include "xml_format.h"

static void attr_onoff(struct mv_xml_out *o, const char *name, enum mv_tristate t)
{
    if (t != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, name, t == MV_TRISTATE_YES ? "on" : "off");
}

static void fs_driver(struct mv_xml_out *o, const struct mv_dom_fs *fs)
{
    if (!fs->driver_given)
        return;
    mv_xml_out_start(o, "driver");
    mv_xml_out_attr(o, "type", mv_dom_fs_driver_to_string(fs->driver));
    if (fs->queue)
        mv_xml_out_attrf(o, "queue", "%u", fs->queue);
    mv_xml_out_end(o);
}

static void fs_binary(struct mv_xml_out *o, const struct mv_dom_fs_binary *b)
{
    if (!b->given)
        return;
    mv_xml_out_start(o, "binary");
    mv_xml_out_attr(o, "path", b->path);
    attr_onoff(o, "xattr", b->xattr);
    mv_xml_out_leaf(o, "cache", "mode", mv_dom_fs_cache_to_string(b->cache));
    mv_xml_out_leaf(o, "sandbox", "mode", mv_dom_fs_sandbox_to_string(b->sandbox));
    if (b->lock_posix != MV_TRISTATE_ABSENT || b->lock_flock != MV_TRISTATE_ABSENT) {
        mv_xml_out_start(o, "lock");
        attr_onoff(o, "posix", b->lock_posix);
        attr_onoff(o, "flock", b->lock_flock);
        mv_xml_out_end(o);
    }
    if (b->thread_pool_given) {
        mv_xml_out_start(o, "thread_pool");
        mv_xml_out_attrf(o, "size", "%u", b->thread_pool_size);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

void dom_format_filesystem(struct mv_xml_out *o, const struct mv_dom_fs *fs)
{
    mv_xml_out_start(o, "filesystem");
    mv_xml_out_attr(o, "type", "mount");
    mv_xml_out_attr(o, "accessmode", mv_dom_fs_access_to_string(fs->access));
    mv_xml_out_attr(o, "model", fs->model);
    mv_xml_out_attr(o, "multidevs", mv_dom_fs_multidevs_to_string(fs->multidevs));
    if (fs->fmode >= 0)
        mv_xml_out_attrf(o, "fmode", "%04o", (unsigned int)fs->fmode);
    if (fs->dmode >= 0)
        mv_xml_out_attrf(o, "dmode", "%04o", (unsigned int)fs->dmode);
    fs_driver(o, fs);
    fs_binary(o, &fs->binary);
    mv_xml_out_start(o, "source");
    mv_xml_out_attr(o, "dir", fs->source_dir);
    mv_xml_out_attr(o, "socket", fs->source_socket);
    mv_xml_out_end(o);
    mv_xml_out_leaf(o, "target", "dir", fs->target);
    if (fs->readonly) {
        mv_xml_out_start(o, "readonly");
        mv_xml_out_end(o);
    }
    dom_format_alias(o, fs->alias);
    dom_format_address(o, &fs->addr);
    mv_xml_out_end(o);
}
