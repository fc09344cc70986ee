/* SPDX-License-Identifier: ISC */
/*
 * mime.h - the MIME library of mailsift (libmailsift-mime.a).
 *
 * Pure: no network, no filesystem, no configuration, no global state, no
 * output.  Everything is reentrant; a message is used by one thread at a
 * time.  Bad input never makes a function fail: it is reported as defects
 * (defect.h).  Functions fail only when memory runs out.
 */
#ifndef MIME_MIME_H
#define MIME_MIME_H

#include "buf.h"
#include "defect.h"
#include "decode.h"
#include "charset.h"
#include "header.h"
#include "address.h"
#include "param.h"
#include "message.h"

#endif
