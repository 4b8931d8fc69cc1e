#ifndef TRACEMARK_CLIBUSB_SHIM_H
#define TRACEMARK_CLIBUSB_SHIM_H
/* libusb-1.0 as the Devices target sees it. pkg-config adds the include folder (libusb-1.0/). */
#include <libusb.h>

/* LIBUSB_HOTPLUG_MATCH_ANY is a macro; a typed constant imports cleanly into Swift. */
static const int tracemark_libusb_hotplug_match_any = LIBUSB_HOTPLUG_MATCH_ANY;
#endif
