/* A domain's QEMU run: the status file.  The rest is in the files
 * domain_process_priv.h lists, one concept each. */
#include <stdlib.h>

#include "cleanup.h"
#include "domain_process.h"
#include "domain_store.h"

void qemud_process_save_status(struct qemud_dom *dom)
{
    _cleanup_free_ char *xml = qemud_store_status_xml(dom, NULL);     /* formats outside dom->lock */

    if (xml)
        qemud_store_write_status(dom->name, xml);
}
