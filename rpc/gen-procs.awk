# Turns the procedure annotations of the programs' .x files into C, so each
# procedure's facts are written once (STYLE.md habit 12).  POSIX awk.
#
#   awk -v what=facts|handlers|invoke -f gen-procs.awk remote_protocol.x [qemu_protocol.x ...]
#
# facts:    proc_facts.c, the tables behind mv_proc_lookup() and
#           mv_program_lookup() (proc_table.h): one per program
# handlers: proc_handlers.h, a handler type per procedure and the union of
#           them that dispatch entries initialise by procedure name
# invoke:   proc_invoke.c, the switch that calls a handler with its types
#
# Each file declares one program: the remote program's procedures are
# enum mv_procedure, MV_PROC_<NAME>, its constants MV_REMOTE_PROGRAM and
# MV_REMOTE_VERSION; any other program P is enum mv_P_procedure,
# MV_<P>_PROC_<NAME>, MV_<P>_PROGRAM and MV_<P>_VERSION, and its procedures
# are known in C as <P>_<NAME> (union member, default types mv_p_<name>_args).
# The files are read together, so a later one may use the types of an
# earlier one (the qemu program's domains are the remote program's).
#
# Each entry of a procedure enum is preceded by its annotation:
#
#     /* @ qemu ro inline virDomainLookupByName */
#     MV_PROC_DOMAIN_LOOKUP_BY_NAME = 23,
#
# Words, in any order:
#   connect | qemu | network | storage | nodedev    subsystem (one)
#   preauth | preopen | ro | rw                     who may call it (one):
#       before authentication (implies preopen, ro), before CONNECT_OPEN
#       (implies ro), read-only connections, read-write connections only
#   inline | worker      the handler runs on the event loop or a worker (one)
#   stream               the call opens a stream (must be inline)
#   evreg | evdereg      an event callback registration (its reply begins
#                        with the int callbackID) or deregistration (its
#                        arguments begin with it): the proxy maps the ids
#   virXxx               the API named in read-only denials (one)
#   args=T | args=void   argument type; default mv_<name>_args if the .x
#                        declares it, else none
#   ret=T | ret=void     reply type, likewise mv_<name>_ret
#   message              sent by the server (an event), never called: takes
#                        only a subsystem and msg=T (default mv_<name>_msg)
#
# Any error (an entry without annotation, an unknown word, a type the .x
# does not declare, a word missing) fails the build with file:line.

function fail(msg) {
    printf "%s:%d: %s\n", FILENAME, FNR, msg > "/dev/stderr"
    failed = 1
    exit 1
}

# The same for a line of another file (checks made after reading).
function fail_at(file, line, msg) {
    printf "%s:%d: %s\n", file, line, msg > "/dev/stderr"
    failed = 1
    exit 1
}

function lower(s) { return tolower(s) }

# The annotation words in A (text of the comment) into the pending_* slots.
function parse_annotation(a,    n, w, i, word, k) {
    pending = 1
    pending_line = FNR
    p_subsys = p_access = p_place = p_api = p_args = p_ret = p_msg = ""
    p_stream = p_message = 0
    p_ev = ""
    n = split(a, w, /[ \t]+/)
    for (i = 1; i <= n; i++) {
        word = w[i]
        if (word == "")
            continue
        if (word ~ /^(connect|qemu|network|storage|nodedev)$/) {
            if (p_subsys != "") fail("two subsystems: " p_subsys ", " word)
            p_subsys = word
        } else if (word ~ /^(preauth|preopen|ro|rw)$/) {
            if (p_access != "") fail("two access words: " p_access ", " word)
            p_access = word
        } else if (word ~ /^(inline|worker)$/) {
            if (p_place != "") fail("both inline and worker")
            p_place = word
        } else if (word == "stream") {
            p_stream = 1
        } else if (word ~ /^(evreg|evdereg)$/) {
            if (p_ev != "") fail("two event words: " p_ev ", " word)
            p_ev = word
        } else if (word == "message") {
            p_message = 1
        } else if (word ~ /^vir[A-Za-z0-9]+$/) {
            if (p_api != "") fail("two API names: " p_api ", " word)
            p_api = word
        } else if (word ~ /^(args|ret|msg)=[A-Za-z_][A-Za-z0-9_]*$/) {
            k = index(word, "=")
            if (substr(word, 1, k - 1) == "args") p_args = substr(word, k + 1)
            else if (substr(word, 1, k - 1) == "ret") p_ret = substr(word, k + 1)
            else p_msg = substr(word, k + 1)
        } else {
            fail("unknown annotation word '" word "'")
        }
    }
    if (p_subsys == "") fail("annotation names no subsystem")
    if (p_message) {
        if (p_access != "" || p_place != "" || p_api != "" || p_stream || p_ev != "" || p_args != "" || p_ret != "")
            fail("a message takes only a subsystem and msg=T")
        return
    }
    if (p_msg != "") fail("msg=T is for messages only")
    if (p_access == "") fail("annotation names no access (preauth, preopen, ro, rw)")
    if (p_place == "") fail("annotation says neither inline nor worker")
    if (p_api == "") fail("annotation names no virXxx API")
    if (p_stream && p_place != "inline")
        fail("a stream procedure must be inline: the stream goes live on the event loop")
}

# Records the enum entry NAME = NUM of the current program with the pending
# annotation.
function add_proc(name, num,    cname) {
    cname = "MV_" prog_prefix[nprogs] "PROC_" name
    if (!pending) fail(cname " has no annotation (/* @ ... */ on the line above)")
    if ((nprogs, num) in by_num) fail("procedure number " num " used twice")
    if (cname in by_name) fail(cname " declared twice")
    by_num[nprogs, num] = name
    by_name[cname] = 1
    nprocs++
    p_name[nprocs] = prog_prefix[nprogs] name; p_num[nprocs] = num; p_line[nprocs] = FNR
    p_const[nprocs] = cname; p_prog[nprocs] = nprogs; p_file[nprocs] = FILENAME
    subsys[nprocs] = p_subsys; message[nprocs] = p_message
    if (p_message) {
        args[nprocs] = p_msg != "" ? p_msg : "mv_" lower(p_name[nprocs]) "_msg"
        ret[nprocs] = "void"
        must_exist[nprocs] = 1
        return
    }
    access[nprocs] = p_access; place[nprocs] = p_place; api[nprocs] = p_api
    stream[nprocs] = p_stream
    ev[nprocs] = p_ev
    args[nprocs] = p_args; ret[nprocs] = p_ret
    pending = 0
}

BEGIN {
    if (what !~ /^(facts|handlers|invoke)$/) {
        print "gen-procs.awk: set what=facts, handlers or invoke" > "/dev/stderr"
        failed = 1
        exit 1
    }
}

# every type the .x declares (rpcgen typedefs structs, unions and enums)
/^[ \t]*(struct|union|enum)[ \t]+mv_[A-Za-z0-9_]+[ \t]*\{/ {
    t = $0
    sub(/^[ \t]*(struct|union|enum)[ \t]+/, "", t)
    sub(/[ \t]*\{.*/, "", t)
    declared[t] = 1
}
/^[ \t]*typedef[ \t]/ {
    t = $0
    sub(/[ \t]*(\[[^]]*\]|<[^>]*>)?[ \t]*;.*$/, "", t)
    sub(/^.*[ \t*]/, "", t)
    declared[t] = 1
}

# a program's procedures: enum mv_procedure (remote) or mv_P_procedure
/^[ \t]*enum[ \t]+mv_([a-z0-9]+_)?procedure[ \t]*\{/ {
    t = $0
    sub(/^[ \t]*enum[ \t]+mv_/, "", t)
    sub(/procedure[ \t]*\{.*$/, "", t)
    nprogs++
    prog_name[nprogs] = t == "" ? "remote" : substr(t, 1, length(t) - 1)
    prog_prefix[nprogs] = toupper(t)
    prog_const[nprogs] = "MV_" toupper(prog_name[nprogs])
    prog_file[nprogs] = FILENAME
    in_enum = 1
    next
}
in_enum && /^[ \t]*\}/ {
    if (pending) fail("annotation at line " pending_line " is not followed by an entry")
    in_enum = 0
    next
}
in_enum && /^[ \t]*\/\*[ \t]*@[ \t]/ {
    if (pending) fail("annotation at line " pending_line " is not followed by an entry")
    a = $0
    sub(/^[ \t]*\/\*[ \t]*@/, "", a)
    if (a !~ /\*\/[ \t]*$/) fail("an annotation is one line: /* @ ... */")
    sub(/\*\/[ \t]*$/, "", a)
    parse_annotation(a)
    next
}
in_enum && /^[ \t]*MV_[A-Z0-9_]*PROC_[A-Z0-9_]+[ \t]*=[ \t]*[0-9]+/ {
    e = $0
    sub(/^[ \t]*/, "", e)
    if (index(e, "MV_" prog_prefix[nprogs] "PROC_") != 1 ||
        substr(e, length("MV_" prog_prefix[nprogs] "PROC_") + 1) !~ /^[A-Z]/)
        fail("an entry of enum mv_" tolower(prog_prefix[nprogs]) "procedure must be MV_" prog_prefix[nprogs] "PROC_<NAME>")
    e = substr(e, length("MV_" prog_prefix[nprogs] "PROC_") + 1)
    name = e
    sub(/[ \t]*=.*$/, "", name)
    num = e
    sub(/^[^=]*=[ \t]*/, "", num)
    sub(/[^0-9].*$/, "", num)
    add_proc(name, num + 0)
    pending = 0
    next
}
in_enum && /[^ \t]/ {
    if (pending) fail("annotation at line " pending_line " is not followed by an entry")
    if ($0 !~ /^[ \t]*\/\*.*\*\/[ \t]*$/) fail("unexpected line in a procedure enum")
}

# The type of procedure I's args (what = "args") or reply after defaults.
function resolve(i, what_,    t, dflt) {
    t = what_ == "args" ? args[i] : ret[i]
    dflt = "mv_" lower(p_name[i]) "_" what_
    if (t == "")
        t = (dflt in declared) ? dflt : "void"
    if (t != "void" && !(t in declared))
        fail_at(p_file[i], p_line[i], p_const[i] ": type " t " is not declared in this file")
    return t
}

function xdr(t) {
    return t == "void" ? "(xdrproc_t)mv_xdr_void, 0" : "(xdrproc_t)xdr_" t ", sizeof(" t ")"
}

function param(t) { return t == "void" ? "void *" : t " *" }

function flags(i,    f) {
    if (message[i]) return "MV_PROC_MESSAGE"
    if (access[i] == "preauth") f = "MV_PROC_BEFORE_AUTH | MV_PROC_BEFORE_OPEN | MV_PROC_READONLY_OK"
    else if (access[i] == "preopen") f = "MV_PROC_BEFORE_OPEN | MV_PROC_READONLY_OK"
    else if (access[i] == "ro") f = "MV_PROC_READONLY_OK"
    else f = ""
    if (place[i] == "inline") f = f (f == "" ? "" : " | ") "MV_PROC_INLINE"
    if (stream[i]) f = f (f == "" ? "" : " | ") "MV_PROC_STREAM"
    if (ev[i] == "evreg") f = f (f == "" ? "" : " | ") "MV_PROC_EVENT_REGISTER"
    if (ev[i] == "evdereg") f = f (f == "" ? "" : " | ") "MV_PROC_EVENT_DEREGISTER"
    return f == "" ? "0" : f
}

# "rpc/remote_protocol.x, rpc/qemu_protocol.x": the sources, for the header line.
function sources(    k, out, f) {
    out = ""
    for (k = 1; k <= nprogs; k++) {
        f = prog_file[k]
        sub(/^.*\//, "", f)
        out = out (k > 1 ? ", " : "") "rpc/" f
    }
    return out
}

# The rpcgen headers of every program, in the order read.
function print_includes(    k, f) {
    for (k = 1; k <= nprogs; k++) {
        f = prog_file[k]
        sub(/^.*\//, "", f)
        sub(/\.x$/, ".h", f)
        print "#include \"" f "\""
    }
}

function facts_array(k) {
    return prog_name[k] == "remote" ? "mv_proc_facts" : "mv_" prog_name[k] "_proc_facts"
}

function emit_facts(    i, k, a, r) {
    print "/* Generated by rpc/gen-procs.awk from " sources() ": edit the .x. */"
    print "#include <stddef.h>"
    print ""
    print "#include \"message.h\""
    print "#include \"proc_table.h\""
    print_includes()
    for (k = 1; k <= nprogs; k++) {
        print ""
        print "const struct mv_proc_info " facts_array(k) "[] = {"
        for (i = 1; i <= nprocs; i++) {
            if (p_prog[i] != k) continue
            a = resolve(i, "args")
            r = message[i] ? "void" : resolve(i, "ret")
            printf "    [%s] = { %s, \"%s\", %s, MV_SUBSYS_%s,\n", p_const[i], p_const[i],
                p_name[i], message[i] ? "NULL" : "\"" api[i] "\"", toupper(subsys[i])
            printf "        %s,\n        %s, %s, %s_PROGRAM },\n", flags(i), xdr(a), xdr(r), prog_const[k]
        }
        print "};"
        print "const size_t " facts_array(k) "_len = sizeof(" facts_array(k) ") / sizeof(" facts_array(k) "[0]);"
    }
    print ""
    print "const struct mv_program mv_programs[] = {"
    for (k = 1; k <= nprogs; k++)
        printf "    { %s_PROGRAM, %s_VERSION, \"%s\", %s, sizeof(%s) / sizeof(%s[0]) },\n", prog_const[k],
            prog_const[k], prog_name[k], facts_array(k), facts_array(k), facts_array(k)
    print "};"
    print "const size_t mv_programs_len = sizeof(mv_programs) / sizeof(mv_programs[0]);"
    print "_Static_assert(sizeof(mv_programs) / sizeof(mv_programs[0]) <= MV_PROGRAMS_MAX,"
    print "               \"more programs than MV_PROGRAMS_MAX (proc_table.h)\");"
}

function emit_handlers(    i) {
    print "/* Generated by rpc/gen-procs.awk from " sources() ": edit the .x. */"
    print "#pragma once"
    print ""
    print "#include <stdint.h>"
    print ""
    print_includes()
    print ""
    print "struct mv_call;"
    print ""
    print "/* A handler stored under the wrong procedure is an error, never a warning. */"
    print "#pragma GCC diagnostic error \"-Wincompatible-pointer-types\""
    print ""
    print "/* The handler of each procedure a client may call: fills RET (zeroed) from ARGS. */"
    for (i = 1; i <= nprocs; i++) {
        if (message[i]) continue
        printf "typedef int mv_handler_%s_fn(struct mv_call *call, %sargs, %sret);\n", p_name[i],
            param(resolve(i, "args")), param(resolve(i, "ret"))
    }
    print ""
    print "/* One member per procedure, named after it (QEMU_... for the qemu"
    print " * program's): MV_HANDLER() stores a handler under its procedure's name,"
    print " * so the compiler checks its types. */"
    print "union mv_handler {"
    for (i = 1; i <= nprocs; i++)
        if (!message[i])
            printf "    mv_handler_%s_fn *%s;\n", p_name[i], p_name[i]
    print "};"
    print ""
    print "/* Calls the member of H for procedure PROC of program PROG with ARGS and"
    print " * RET as its types; -ENOSYS when H has no handler for it. */"
    print "int mv_handler_invoke(uint32_t prog, int proc, const union mv_handler *h, struct mv_call *call,"
    print "                      void *args, void *ret);"
}

function emit_invoke(    i, k) {
    print "/* Generated by rpc/gen-procs.awk from " sources() ": edit the .x. */"
    print "#include <errno.h>"
    print ""
    print "#include \"proc_handlers.h\""
    print ""
    print "int mv_handler_invoke(uint32_t prog, int proc, const union mv_handler *h, struct mv_call *call,"
    print "                      void *args, void *ret)"
    print "{"
    print "    switch (prog) {"
    for (k = 1; k <= nprogs; k++) {
        printf "    case %s_PROGRAM:\n", prog_const[k]
        print "        switch (proc) {"
        for (i = 1; i <= nprocs; i++) {
            if (message[i] || p_prog[i] != k) continue
            printf "        case %s:\n", p_const[i]
            printf "            return h->%s ? h->%s(call, args, ret) : -ENOSYS;\n", p_name[i], p_name[i]
        }
        print "        default:"
        print "            return -ENOSYS;"
        print "        }"
    }
    print "    default:"
    print "        return -ENOSYS;"
    print "    }"
    print "}"
}

END {
    if (failed)
        exit 1
    if (nprocs == 0) {
        print FILENAME ": no enum mv_procedure (or mv_P_procedure) entries found" > "/dev/stderr"
        exit 1
    }
    if (what == "facts") emit_facts()
    else if (what == "handlers") emit_handlers()
    else emit_invoke()
}
