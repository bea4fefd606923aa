/*
 * libvirt's node device document (virNodeDeviceDefFormat): the header
 * elements in its order, then each capability's own element (device.h's
 * ops; a sub-capability is written by its owner, so it has none).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>

#include "format.h"

static void format_header(struct mv_xml_out *o, const struct nodedev_device *dev)
{
    mv_xml_out_text_elem(o, "name", dev->name);
    mv_xml_out_text_elem(o, "path", dev->syspath);
    if (dev->devnode) {
        mv_xml_out_start(o, "devnode");
        mv_xml_out_attr(o, "type", "dev");
        mv_xml_out_text(o, dev->devnode);
        mv_xml_out_end(o);
    }
    for (char **l = dev->devlinks; l && *l; l++) {
        mv_xml_out_start(o, "devnode");
        mv_xml_out_attr(o, "type", "link");
        mv_xml_out_text(o, *l);
        mv_xml_out_end(o);
    }
    mv_xml_out_text_elem(o, "parent", dev->parent);
    if (dev->driver) {
        mv_xml_out_start(o, "driver");
        mv_xml_out_text_elem(o, "name", dev->driver);
        mv_xml_out_end(o);
    }
}

static int format_quoted(const struct nodedev_device *dev, char quote, char **xml)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    int r = mv_xml_out_open(&o);

    if (r < 0)
        return r;
    if (xmlTextWriterSetQuoteChar(o.w.writer, (xmlChar)quote) < 0)
        return -ENOMEM;
    mv_xml_out_start(&o, "device");
    format_header(&o, dev);
    for (size_t i = 0; i < dev->ncaps; i++)
        if (dev->caps[i].ops && dev->caps[i].ops->format)
            dev->caps[i].ops->format(&o, dev->caps[i].data);
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, xml);
}

static bool well_formed(const char *xml)
{
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "device.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

    xmlFreeDoc(doc);
    return doc != NULL;
}

int nodedev_format(const struct nodedev_device *dev, char **xml)
{
    char *s = NULL;
    int r = format_quoted(dev, '\'', &s);

    if (r < 0)
        return r;
    /* libvirt quotes attributes with ', as virsh shows them; libxml2 does
     * not escape a ' inside a value then, so a value holding one (never
     * seen in sysfs, but sysfs text is not ours) is written with " */
    if (!well_formed(s)) {
        free(s);
        s = NULL;
        r = format_quoted(dev, '"', &s);
        if (r < 0)
            return r;
    }
    *xml = s;
    return 0;
}
