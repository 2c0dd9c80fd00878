// Forwards to the ns3ts module header (out-of-tree builds; in contrib/ ns-3 copies model/ here).
#include "../../model/opengym-env.h"
