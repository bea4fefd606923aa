/*
 * Checks on names that come from clients and end up in file names, XML and
 * log lines.  Messages quote the offending value with control characters
 * escaped: "invalid domain name '../x': names must not contain '/'".
 */
#pragma once

#include <stdbool.h>

/* Longest object name or path component, in bytes (NAME_MAX).  Note that a
 * caller storing "NAME.xml" needs room for the suffix within NAME_MAX. */
#define MV_NAME_MAX 255

/* Object names (domains, networks, pools...): non-empty, at most MV_NAME_MAX
 * bytes, valid UTF-8, no '/', no control characters (C0, DEL, C1), not
 * starting with '.'.  WHAT ("domain") names the kind in the message.
 * 0 or -EINVAL with *ERRMSG. */
int mv_validate_name(const char *what, const char *name, char **errmsg);

/* File names (volumes...): the same rules, except that a leading '.' is
 * allowed; "." and ".." are not. */
int mv_validate_path_component(const char *what, const char *name, char **errmsg);

/* True if PATH is absolute and canonical enough to trust as given: no empty
 * ("//"), "." or ".." components.  A trailing '/' is allowed. */
bool mv_path_is_absolute_clean(const char *path);
