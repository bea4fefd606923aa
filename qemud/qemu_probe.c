#define MV_LOG_MODULE "qemud.qemu_probe"
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json.h>

#include "cleanup.h"
#include "log.h"
#include "process.h"
#include "qemu_probe.h"

/* The parallel machine arrays, as owned by mv_qemu_caps and by the parser's table. */
static void free_machine_arrays(char **machines, char **aliases, size_t n, int *max_cpus,
                                bool *deprecated, char *default_machine)
{
    mv_strv_free(machines);
    if (aliases)
        for (size_t i = 0; i < n; i++)
            free(aliases[i]);
    free(aliases);
    free(max_cpus);
    free(deprecated);
    free(default_machine);
}

static void free_cpu_models(struct mv_qemu_cpu_model *models, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(models[i].name);
    free(models);
}

void mv_qemu_caps_clear(struct mv_qemu_caps *caps)
{
    if (!caps)
        return;
    free(caps->binary);
    free_cpu_models(caps->cpu_models, caps->ncpu_models);
    mv_strv_free(caps->tcg_cpu_features);
    free_machine_arrays(caps->machines, caps->machine_aliases, caps->nmachines,
                        caps->machine_max_cpus, caps->machine_deprecated, caps->default_machine);
    *caps = (struct mv_qemu_caps){ 0 };
}

/* ---- parsers ---- */

int mv_qemu_parse_version(const char *version_output, unsigned long *version)
{
    const char *p;
    unsigned long major, minor, micro = 0;
    char *end;

    if (strncmp(version_output, "QEMU ", 5) != 0)
        return -EINVAL;
    /* "QEMU emulator version X.Y.Z", older "QEMU PC emulator version X.Y.Z" */
    p = strstr(version_output, "version ");
    if (!p || memchr(version_output, '\n', (size_t)(p - version_output)))
        return -EINVAL;
    p += strlen("version ");
    if (!isdigit((unsigned char)*p))
        return -EINVAL;
    errno = 0;
    major = strtoul(p, &end, 10);
    if (errno || *end != '.' || !isdigit((unsigned char)end[1]))
        return -EINVAL;
    minor = strtoul(end + 1, &end, 10);
    if (errno)
        return -EINVAL;
    if (*end == '.' && isdigit((unsigned char)end[1])) {
        micro = strtoul(end + 1, &end, 10);
        if (errno)
            return -EINVAL;
    }
    if (major > 999 || minor > 999 || micro > 999)
        return -EINVAL;
    *version = major * 1000000UL + minor * 1000UL + micro;
    return 0;
}

struct machine_line {
    char *name;
    char *alias_of;                 /* set on "(alias of X)" lines */
    bool is_default, deprecated;
};

static bool strip_suffix(char *s, size_t *len, const char *suffix)
{
    size_t slen = strlen(suffix);

    if (*len >= slen && memcmp(s + *len - slen, suffix, slen) == 0) {
        *len -= slen;
        s[*len] = '\0';
        return true;
    }
    return false;
}

static bool valid_machine_name(const char *name, size_t len)
{
    if (len == 0 || len >= MV_QEMU_MACHINE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("-_.", name[i]))
            return false;
    return true;
}

/* One "NAME   DESCRIPTION[ (alias of X)][ (default)][ (deprecated)]" line. */
static int parse_machine_line(const char *line, size_t len, struct machine_line *m)
{
    _cleanup_free_ char *copy = strndup(line, len);
    size_t namelen, clen;
    const char *alias;

    if (!copy)
        return -ENOMEM;
    clen = strlen(copy);
    while (clen > 0 && isspace((unsigned char)copy[clen - 1]))
        copy[--clen] = '\0';
    namelen = strcspn(copy, " \t");
    if (!valid_machine_name(copy, namelen))
        return -EINVAL;
    m->deprecated = strip_suffix(copy, &clen, " (deprecated)");
    m->is_default = strip_suffix(copy, &clen, " (default)");
    alias = strstr(copy + namelen, " (alias of ");
    if (alias && copy[clen - 1] == ')') {
        const char *target = alias + strlen(" (alias of ");
        size_t tlen = (size_t)(copy + clen - 1 - target);

        if (!valid_machine_name(target, tlen))
            return -EINVAL;
        m->alias_of = strndup(target, tlen);
        if (!m->alias_of)
            return -ENOMEM;
    }
    m->name = strndup(copy, namelen);
    if (!m->name) {
        free(m->alias_of);
        m->alias_of = NULL;
        return -ENOMEM;
    }
    return 0;
}

static void machine_lines_free(struct machine_line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(lines[i].name);
        free(lines[i].alias_of);
    }
    free(lines);
}

/* Owns the arrays being built so that an early return frees them. */
struct machine_table {
    char **machines;
    char **aliases;
    int *max_cpus;
    bool *deprecated;
    size_t n;
    char *default_machine;
};

static void machine_table_free(struct machine_table *t)
{
    free_machine_arrays(t->machines, t->aliases, t->n, t->max_cpus, t->deprecated,
                        t->default_machine);
}

int mv_qemu_parse_machines(const char *machine_help_output, struct mv_qemu_caps *caps)
{
    _cleanup_(machine_table_free) struct machine_table t = { 0 };
    struct machine_line *lines = NULL;
    size_t nlines = 0, ncanon = 0, k = 0;
    const char *p;
    int r = 0;

    p = strstr(machine_help_output, "Supported machines are:");
    if (!p)
        return -EINVAL;
    p = strchr(p, '\n');
    lines = calloc(MV_QEMU_MACHINES_MAX, sizeof(*lines));
    if (!lines)
        return -ENOMEM;

    while (p && *++p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);

        if (len > 0 && !(len == 1 && p[0] == '\r')) {
            if (nlines >= MV_QEMU_MACHINES_MAX) {
                r = -E2BIG;
                goto out;
            }
            r = parse_machine_line(p, len, &lines[nlines]);
            if (r < 0)
                goto out;
            nlines++;
        }
        p = nl;
    }

    for (size_t i = 0; i < nlines; i++)
        /* libvirt leaves out "none": it cannot run a guest */
        if (!lines[i].alias_of && strcmp(lines[i].name, "none") != 0)
            ncanon++;
    if (ncanon == 0) {
        r = -EINVAL;
        goto out;
    }

    t.machines = calloc(ncanon + 1, sizeof(*t.machines));
    t.aliases = calloc(ncanon, sizeof(*t.aliases));
    t.max_cpus = calloc(ncanon, sizeof(*t.max_cpus));
    t.deprecated = calloc(ncanon, sizeof(*t.deprecated));
    if (!t.machines || !t.aliases || !t.max_cpus || !t.deprecated) {
        r = -ENOMEM;
        goto out;
    }
    t.n = ncanon;

    /* default first (libvirt picks the first machine when a domain names none), then QEMU's order */
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < nlines; i++) {
            struct machine_line *m = &lines[i];

            if (!m->name || m->alias_of || strcmp(m->name, "none") == 0 ||
                m->is_default != (pass == 0))
                continue;
            if (m->is_default && t.default_machine) {
                r = -EINVAL;    /* two defaults: not output we understand */
                goto out;
            }
            for (size_t j = 0; j < k; j++)
                if (strcmp(t.machines[j], m->name) == 0) {
                    r = -EINVAL;
                    goto out;
                }
            if (m->is_default && !(t.default_machine = strdup(m->name))) {
                r = -ENOMEM;
                goto out;
            }
            t.machines[k] = TAKE_PTR(m->name);
            t.deprecated[k] = m->deprecated;
            k++;
        }
    }

    for (size_t i = 0; i < nlines; i++) {
        struct machine_line *m = &lines[i];

        if (!m->alias_of)
            continue;
        for (size_t j = 0; j < k; j++) {
            if (strcmp(t.machines[j], m->alias_of) != 0)
                continue;
            if (!t.aliases[j])
                t.aliases[j] = TAKE_PTR(m->name);
            break;
        }
    }

    mv_strv_free(caps->machines);
    if (caps->machine_aliases)
        for (size_t i = 0; i < caps->nmachines; i++)
            free(caps->machine_aliases[i]);
    free(caps->machine_aliases);
    free(caps->machine_max_cpus);
    free(caps->machine_deprecated);
    free(caps->default_machine);
    caps->machines = TAKE_PTR(t.machines);
    caps->machine_aliases = TAKE_PTR(t.aliases);
    caps->machine_max_cpus = TAKE_PTR(t.max_cpus);
    caps->machine_deprecated = TAKE_PTR(t.deprecated);
    caps->default_machine = TAKE_PTR(t.default_machine);
    caps->nmachines = t.n;
    t.n = 0;
    r = 0;
out:
    machine_lines_free(lines, nlines);
    return r;
}

int mv_qemu_caps_find_machine(const struct mv_qemu_caps *caps, const char *name)
{
    if (!caps->machines || !name)
        return -1;
    for (size_t i = 0; i < caps->nmachines; i++)
        if (strcmp(caps->machines[i], name) == 0 ||
            (caps->machine_aliases[i] && strcmp(caps->machine_aliases[i], name) == 0))
            return (int)i;
    return -1;
}

int mv_qemu_caps_machine_max_cpus(const struct mv_qemu_caps *caps, size_t index)
{
    if (index < caps->nmachines && caps->machine_max_cpus && caps->machine_max_cpus[index] > 0)
        return caps->machine_max_cpus[index];
    return caps->max_cpus_default;
}

static void json_putp(json_object **o)
{
    if (*o)
        json_object_put(*o);
}

/* The "return" array of the query-machines reply (KEY "name", no "typename") or of the
 * query-cpu-definitions reply (KEY "typename"), or NULL. */
static json_object *find_array_reply(const char *line, size_t len, const char *key,
                                     json_object **owner)
{
    _cleanup_(json_putp) json_object *obj = NULL;
    json_tokener *tok = json_tokener_new();
    json_object *ret, *first, *name;

    if (!tok)
        return NULL;
    obj = json_tokener_parse_ex(tok, line, (int)len);
    json_tokener_free(tok);
    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, "return", &ret) ||
        !json_object_is_type(ret, json_type_array) || json_object_array_length(ret) == 0)
        return NULL;
    first = json_object_array_get_idx(ret, 0);
    if (!json_object_is_type(first, json_type_object) ||
        !json_object_object_get_ex(first, key, &name))
        return NULL;
    /* a CPU definition has a name too: the machines reply is the one without a typename */
    if (strcmp(key, "name") == 0 && json_object_object_get_ex(first, "typename", &name))
        return NULL;
    *owner = TAKE_PTR(obj);
    return ret;
}

/* The first reply of QMP_OUTPUT that find_array_reply() accepts for KEY, or NULL. */
static json_object *find_reply(const char *qmp_output, const char *key, json_object **owner)
{
    json_object *reply = NULL;

    for (const char *line = qmp_output; line && *line && !reply;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);

        if (len > 0 && len < MV_QEMU_PROBE_OUTPUT_MAX)
            reply = find_array_reply(line, len, key, owner);
        line = nl ? nl + 1 : NULL;
    }
    return reply;
}

int mv_qemu_parse_qmp_machines(const char *qmp_output, struct mv_qemu_caps *caps)
{
    _cleanup_(json_putp) json_object *owner = NULL;
    _cleanup_free_ int *max_cpus = NULL;
    _cleanup_free_ bool *deprecated = NULL;
    json_object *reply;
    size_t n;

    if (caps->nmachines == 0)
        return -EINVAL;
    reply = find_reply(qmp_output, "name", &owner);
    if (!reply)
        return -EINVAL;

    max_cpus = calloc(caps->nmachines, sizeof(*max_cpus));
    deprecated = calloc(caps->nmachines, sizeof(*deprecated));
    if (!max_cpus || !deprecated)
        return -ENOMEM;
    memcpy(max_cpus, caps->machine_max_cpus, caps->nmachines * sizeof(*max_cpus));
    memcpy(deprecated, caps->machine_deprecated, caps->nmachines * sizeof(*deprecated));

    n = json_object_array_length(reply);
    for (size_t i = 0; i < n; i++) {
        json_object *m = json_object_array_get_idx(reply, i);
        json_object *name, *cpu_max, *depr;
        int idx;

        if (!json_object_is_type(m, json_type_object) ||
            !json_object_object_get_ex(m, "name", &name) ||
            !json_object_is_type(name, json_type_string))
            return -EINVAL;
        idx = mv_qemu_caps_find_machine(caps, json_object_get_string(name));
        if (idx < 0 || strcmp(caps->machines[idx], json_object_get_string(name)) != 0)
            continue;
        if (json_object_object_get_ex(m, "cpu-max", &cpu_max)) {
            int64_t v;

            if (!json_object_is_type(cpu_max, json_type_int))
                return -EINVAL;
            v = json_object_get_int64(cpu_max);
            if (v < 1 || v > 1000000)
                return -EINVAL;
            max_cpus[idx] = (int)v;
        }
        if (json_object_object_get_ex(m, "deprecated", &depr) &&
            json_object_is_type(depr, json_type_boolean))
            deprecated[idx] = json_object_get_boolean(depr);
    }

    memcpy(caps->machine_max_cpus, max_cpus, caps->nmachines * sizeof(*max_cpus));
    memcpy(caps->machine_deprecated, deprecated, caps->nmachines * sizeof(*deprecated));
    return 0;
}

/* Whether LINE is a query-spice reply (query-vnc has no "migrated"). */
static bool is_spice_reply(const char *line, size_t len)
{
    _cleanup_(json_putp) json_object *obj = NULL;
    json_tokener *tok = json_tokener_new();
    json_object *ret, *member;

    if (!tok)
        return false;
    obj = json_tokener_parse_ex(tok, line, (int)len);
    json_tokener_free(tok);
    return obj && json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, "return", &ret) &&
           json_object_is_type(ret, json_type_object) && json_object_object_get_ex(ret, "enabled", &member) &&
           json_object_object_get_ex(ret, "migrated", &member);
}

bool mv_qemu_parse_qmp_spice(const char *qmp_output)
{
    for (const char *line = qmp_output; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);

        if (len > 0 && len < MV_QEMU_PROBE_OUTPUT_MAX && is_spice_reply(line, len))
            return true;
        line = nl ? nl + 1 : NULL;
    }
    return false;
}

/* libvirt leaves these out of the custom models: they are modes, not models */
static bool cpu_model_is_mode(const char *name)
{
    return strcmp(name, "max") == 0 || strcmp(name, "host") == 0 || strcmp(name, "base") == 0;
}

/* One entry of query-cpu-definitions into M; 0 / 1 to skip it / -EINVAL / -ENOMEM. */
static int parse_cpu_definition(json_object *d, struct mv_qemu_cpu_model *m)
{
    json_object *name, *unavailable, *depr;

    if (!json_object_is_type(d, json_type_object) || !json_object_object_get_ex(d, "name", &name) ||
        !json_object_is_type(name, json_type_string))
        return -EINVAL;
    if (cpu_model_is_mode(json_object_get_string(name)))
        return 1;
    m->usable_tcg = json_object_object_get_ex(d, "unavailable-features", &unavailable) &&
                    json_object_is_type(unavailable, json_type_array) &&
                    json_object_array_length(unavailable) == 0;
    m->deprecated = json_object_object_get_ex(d, "deprecated", &depr) &&
                    json_object_is_type(depr, json_type_boolean) && json_object_get_boolean(depr);
    m->name = strdup(json_object_get_string(name));
    return m->name ? 0 : -ENOMEM;
}

int mv_qemu_parse_qmp_cpu_models(const char *qmp_output, struct mv_qemu_caps *caps)
{
    _cleanup_(json_putp) json_object *owner = NULL;
    json_object *reply = find_reply(qmp_output, "typename", &owner);
    struct mv_qemu_cpu_model *models;
    size_t n, count = 0;

    if (!reply)
        return -EINVAL;
    n = json_object_array_length(reply);
    models = calloc(n, sizeof(*models));
    if (!models)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        int r = parse_cpu_definition(json_object_array_get_idx(reply, i), &models[count]);

        if (r < 0) {
            free_cpu_models(models, count);
            return r;
        }
        if (r == 0)
            count++;
    }
    free_cpu_models(caps->cpu_models, caps->ncpu_models);
    caps->cpu_models = models;
    caps->ncpu_models = count;
    return 0;
}

/* The "props" object of a query-cpu-model-expansion reply in LINE, or NULL. */
static json_object *expansion_props(const char *line, size_t len, json_object **owner)
{
    _cleanup_(json_putp) json_object *obj = NULL;
    json_tokener *tok = json_tokener_new();
    json_object *ret, *model, *props;

    if (!tok)
        return NULL;
    obj = json_tokener_parse_ex(tok, line, (int)len);
    json_tokener_free(tok);
    if (!obj || !json_object_is_type(obj, json_type_object) ||
        !json_object_object_get_ex(obj, "return", &ret) || !json_object_is_type(ret, json_type_object) ||
        !json_object_object_get_ex(ret, "model", &model) || !json_object_is_type(model, json_type_object) ||
        !json_object_object_get_ex(model, "props", &props) || !json_object_is_type(props, json_type_object))
        return NULL;
    *owner = TAKE_PTR(obj);
    return props;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int mv_qemu_parse_qmp_cpu_expansion(const char *qmp_output, char ***features)
{
    _cleanup_(json_putp) json_object *owner = NULL;
    json_object *props = NULL;
    char **out;
    size_t n = 0;

    for (const char *line = qmp_output; line && *line && !props;) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);

        if (len > 0 && len < MV_QEMU_PROBE_OUTPUT_MAX)
            props = expansion_props(line, len, &owner);
        line = nl ? nl + 1 : NULL;
    }
    if (!props)
        return -EINVAL;
    out = calloc((size_t)json_object_object_length(props) + 1, sizeof(*out));
    if (!out)
        return -ENOMEM;
    json_object_object_foreach(props, key, val) {
        if (!json_object_is_type(val, json_type_boolean) || !json_object_get_boolean(val))
            continue;
        if (!(out[n++] = strdup(key))) {
            mv_strv_free(out);
            return -ENOMEM;
        }
    }
    qsort(out, n, sizeof(*out), cmp_str);
    *features = out;
    return 0;
}

/* ---- running the binary ---- */

static void set_errmsg(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_errmsg(char **errmsg, const char *fmt, ...)
{
    va_list ap;
    char *msg = NULL;

    if (!errmsg)
        return;
    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    *errmsg = msg;
}

/* Runs BINARY ARG...; 0 with its stdout when it exits 0, else -errno and *errmsg. */
static int run_probe(const char *binary, const char *const args[], const char *input,
                     const char *what, char **stdout_text, char **errmsg)
{
    const char *argv[16];
    struct mv_process_run_opts opts = { .input = input, .timeout_ms = MV_QEMU_PROBE_TIMEOUT_MS,
                                        .stdout_max = MV_QEMU_PROBE_OUTPUT_MAX };
    _cleanup_(mv_process_result_clear) struct mv_process_result out = { 0 };
    const char *line;
    int n = 0, r;

    argv[n++] = binary;
    for (int i = 0; args[i] && n < (int)MV_ARRAY_SIZE(argv) - 1; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    r = mv_process_run(argv, &opts, &out, NULL);
    line = mv_process_last_line(&out);
    if (r == -ETIMEDOUT) {
        set_errmsg(errmsg, "QEMU binary '%s' did not finish '%s' within %d s and was killed",
                   binary, what, MV_QEMU_PROBE_TIMEOUT_MS / 1000);
        return r;
    }
    if (r < 0 && !out.exited && r != -EFBIG && r != -ENOMEM) {
        set_errmsg(errmsg, "Cannot execute QEMU binary '%s': %s", binary, strerror(-r));
        return r;
    }
    if (r < 0 && !out.exited) {
        set_errmsg(errmsg, "Cannot run QEMU binary '%s' '%s': %s", binary, what, strerror(-r));
        return r;
    }
    if (WIFSIGNALED(out.status)) {
        set_errmsg(errmsg, "QEMU binary '%s' '%s' was killed by signal %d%s%s", binary, what,
                   WTERMSIG(out.status), *line ? ": " : "", line);
        return -EIO;
    }
    if (r < 0) {
        set_errmsg(errmsg, "QEMU binary '%s' '%s' failed with exit status %d%s%s", binary, what,
                   WIFEXITED(out.status) ? WEXITSTATUS(out.status) : -1, *line ? ": " : "", line);
        return -EIO;
    }
    *stdout_text = TAKE_PTR(out.out);
    return 0;
}

int mv_qemu_probe_max_cpu_features(const char *binary, const char *accel, char ***features, char **errmsg)
{
    /* no guest runs: "-machine none" only answers QMP, then quits */
    const char *const args[] = {
        "-machine", "none", "-accel", accel, "-nodefaults", "-no-user-config",
        "-display", "none", "-S", "-qmp", "stdio", NULL
    };
    static const char input[] =
        "{\"execute\":\"qmp_capabilities\"}\n"
        "{\"execute\":\"query-cpu-model-expansion\",\"arguments\":"
        "{\"type\":\"full\",\"model\":{\"name\":\"max\"}}}\n"
        "{\"execute\":\"quit\"}\n";
    _cleanup_free_ char *text = NULL;
    int r = run_probe(binary, args, input, "query-cpu-model-expansion", &text, errmsg);

    if (r < 0)
        return r;
    r = mv_qemu_parse_qmp_cpu_expansion(text, features);
    if (r < 0)
        set_errmsg(errmsg, "QEMU binary '%s' gave no expansion of CPU model 'max' under %s: %s",
                   binary, accel, strerror(-r));
    return r;
}

int mv_qemu_probe(const char *binary, struct mv_qemu_caps *caps, char **errmsg)
{
    static const char *const version_args[] = { "--version", NULL };
    static const char *const machine_args[] = { "-machine", "help", NULL };
    /* no guest runs: "-machine none" under TCG only answers QMP, then quits */
    static const char *const qmp_args[] = {
        "-machine", "none", "-accel", "tcg", "-nodefaults", "-no-user-config",
        "-display", "none", "-S", "-qmp", "stdio", NULL
    };
    static const char qmp_input[] =
        "{\"execute\":\"qmp_capabilities\"}\n"
        "{\"execute\":\"query-machines\"}\n"
        "{\"execute\":\"query-cpu-definitions\"}\n"
        "{\"execute\":\"query-spice\"}\n"
        "{\"execute\":\"query-cpu-model-expansion\",\"arguments\":"
        "{\"type\":\"full\",\"model\":{\"name\":\"max\"}}}\n"
        "{\"execute\":\"quit\"}\n";
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps local = { 0 };
    _cleanup_free_ char *version_text = NULL;
    _cleanup_free_ char *machine_text = NULL;
    _cleanup_free_ char *qmp_text = NULL;
    _cleanup_free_ char *qmp_err = NULL;
    int r;

    if (!binary || binary[0] != '/') {
        set_errmsg(errmsg, "QEMU binary '%s' is not an absolute path", binary ? binary : "(null)");
        return -EINVAL;
    }
    if (access(binary, X_OK) < 0) {
        r = -errno;
        set_errmsg(errmsg, "QEMU binary '%s' is not executable: %s", binary, strerror(-r));
        return r;
    }

    r = run_probe(binary, version_args, NULL, "--version", &version_text, errmsg);
    if (r < 0)
        return r;
    r = mv_qemu_parse_version(version_text, &local.version);
    if (r < 0) {
        set_errmsg(errmsg, "Cannot parse the version that QEMU binary '%s' reports: '%.80s'",
                   binary, version_text);
        return r;
    }

    r = run_probe(binary, machine_args, NULL, "-machine help", &machine_text, errmsg);
    if (r < 0)
        return r;
    r = mv_qemu_parse_machines(machine_text, &local);
    if (r < 0) {
        set_errmsg(errmsg, "Cannot parse the machine types that QEMU binary '%s' lists (%s)",
                   binary, strerror(-r));
        return r;
    }

    /* best effort: only the per-machine CPU limits depend on it */
    r = run_probe(binary, qmp_args, qmp_input, "query-machines", &qmp_text, &qmp_err);
    if (r == 0)
        r = mv_qemu_parse_qmp_machines(qmp_text, &local);
    if (r < 0)
        mv_debug("QMP query-machines on '%s' failed (%s): machine CPU limits unknown",
                 binary, qmp_err ? qmp_err : strerror(-r));
    /* best effort too: without them the domain capabilities list no custom models */
    if (qmp_text && (r = mv_qemu_parse_qmp_cpu_models(qmp_text, &local)) < 0)
        mv_debug("QMP query-cpu-definitions on '%s' failed (%s): no CPU models known",
                 binary, strerror(-r));
    /* the domain capabilities list SPICE only when this says so */
    local.spice = qmp_text && mv_qemu_parse_qmp_spice(qmp_text);

    /* best effort too: without it <cpu><feature policy='optional'> is refused;
     * the session above runs under TCG, so it answers for TCG's 'max' */
    if (qmp_text && (r = mv_qemu_parse_qmp_cpu_expansion(qmp_text, &local.tcg_cpu_features)) < 0)
        mv_debug("QMP query-cpu-model-expansion on '%s' failed (%s): optional CPU features are unknown under TCG",
                 binary, strerror(-r));

    local.binary = strdup(binary);
    if (!local.binary)
        return -ENOMEM;
    local.max_cpus_default = MV_QEMU_MAX_CPUS_DEFAULT;
    *caps = local;
    local = (struct mv_qemu_caps){ 0 };
    return 0;
}
