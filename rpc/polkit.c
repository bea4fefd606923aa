#define MV_LOG_MODULE "rpc.polkit"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>

#include "cleanup.h"
#include "file.h"
#include "identity.h"
#include "log.h"
#include "polkit.h"

static int append_subject(sd_bus_message *m, const struct mv_identity *who, uint64_t start)
{
    return sd_bus_message_append(m, "(sa{sv})", "unix-process", 3,
                                 "pid", "u", (uint32_t)who->pid,
                                 "start-time", "t", start,
                                 "uid", "i", (int32_t)who->uid);
}

int mv_polkit_check(const struct mv_identity *who, const char *action, struct mv_err *err)
{
    _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
    _cleanup_(sd_bus_message_unrefp) sd_bus_message *req = NULL, *reply = NULL;
    sd_bus_error berr = SD_BUS_ERROR_NULL;
    uint64_t start;
    int authorized = 0, challenge = 0;
    int r;

    /* polkit identifies a process by pid plus start time.  The identity
     * carries the start time read when the process connected (here, or to
     * the proxy that forwarded it): a pid recycled since then does not match */
    r = who->start_time ? (start = who->start_time, 0) : mv_process_start_time(who->pid, &start);
    if (r < 0)
        return mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_POLKIT,
                          "authentication failed: cannot identify client process %d", (int)who->pid);
    r = sd_bus_open_system(&bus);
    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_AUTH_FAILED, MV_FROM_POLKIT,
                                "authentication failed: cannot reach polkit on the system bus");
    r = sd_bus_message_new_method_call(bus, &req, "org.freedesktop.PolicyKit1",
                                       "/org/freedesktop/PolicyKit1/Authority",
                                       "org.freedesktop.PolicyKit1.Authority",
                                       "CheckAuthorization");
    if (r >= 0)
        r = append_subject(req, who, start);
    /* no details, no user interaction (we have no agent to ask), no cancellation id */
    if (r >= 0)
        r = sd_bus_message_append(req, "sa{ss}us", action, 0, 0u, "");
    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_POLKIT,
                                "internal error: cannot build the polkit request");
    r = sd_bus_call(bus, req, 25 * 1000000ULL, &berr, &reply);
    if (r < 0) {
        mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_POLKIT,
                   "authentication failed: polkit did not answer for action '%s': %s",
                   action, berr.message ? berr.message : strerror(-r));
        sd_bus_error_free(&berr);
        return -EACCES;
    }
    r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
    if (r >= 0)
        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
    if (r < 0)
        return mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_POLKIT,
                          "authentication failed: unexpected answer from polkit");
    mv_debug("polkit: action %s pid %d uid %u: authorized=%d challenge=%d", action,
             (int)who->pid, (unsigned)who->uid, authorized, challenge);
    if (authorized)
        return 0;
    if (challenge) {
        mv_err_set(err, MV_ERR_AUTH_UNAVAILABLE, MV_FROM_POLKIT,
                   "authentication unavailable: no polkit agent available to authenticate action '%s'",
                   action);
        return -EACCES;
    }
    mv_err_set(err, MV_ERR_AUTH_FAILED, MV_FROM_POLKIT, "authentication failed: access denied by policy");
    return -EACCES;
}
