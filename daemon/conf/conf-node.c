/* SPDX-License-Identifier: ISC */
/* conf-node.c - the node name's check; see conf-node.h. */
#include <stddef.h>

#include "daemon/conf/conf-node.h"

const char *
conf_node_check(const char *name)
{
	size_t	 i;

	if (name[0] == '\0')
		return "is empty";
	for (i = 0; name[i] != '\0'; i++)
		if ((unsigned char)name[i] <= ' ' ||
		    (unsigned char)name[i] >= 0x7f)
			return "has a space, a control or a non-ASCII "
			    "character";
	if (i > CONF_NODE_MAX)
		return "is longer than 64 bytes";
	return NULL;
}
