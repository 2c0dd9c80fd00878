// ns3-gym header name; forwards to opengym-env.h.
#include "opengym-env.h"
