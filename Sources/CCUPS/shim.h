// libcups (Debian libcups2-dev) ships no pkg-config file; the headers live in /usr/include/cups.
// CUPS 2.4 marks the PPD and some job calls deprecated; nothing here needs the PPD API.
#include <cups/cups.h>
