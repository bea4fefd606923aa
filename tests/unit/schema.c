#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "schema.h"

xmlRelaxNGPtr mv_test_schema_load(const char *name)
{
    xmlRelaxNGParserCtxtPtr pctxt;
    xmlRelaxNGPtr schema;
    char *path = NULL;

    ck_assert(asprintf(&path, "%s/%s.rng", MV_TEST_SCHEMA_DIR, name) > 0);
    if (access(path, R_OK) != 0) {
        /* libvirt-clients absent: nothing to compare with */
        fprintf(stderr, "# %s missing, schema checks skipped\n", path);
        free(path);
        return NULL;
    }
    pctxt = xmlRelaxNGNewParserCtxt(path);
    schema = xmlRelaxNGParse(pctxt);
    xmlRelaxNGFreeParserCtxt(pctxt);
    ck_assert_msg(schema != NULL, "%s does not parse", path);
    free(path);
    return schema;
}

bool mv_test_schema_valid(xmlRelaxNGPtr schema, const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "formatted.xml", NULL, XML_PARSE_NONET);
    xmlRelaxNGValidCtxtPtr vctxt = xmlRelaxNGNewValidCtxt(schema);
    int r;

    ck_assert_ptr_nonnull(doc);
    ck_assert_ptr_nonnull(vctxt);
    r = xmlRelaxNGValidateDoc(vctxt, doc);
    xmlRelaxNGFreeValidCtxt(vctxt);
    xmlFreeDoc(doc);
    return r == 0;
}
