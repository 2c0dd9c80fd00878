// ns3-gym header name; forwards to opengym-interface.h.
#include "opengym-interface.h"
