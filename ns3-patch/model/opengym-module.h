// The ns3-gym compatible API of the ns3ts module (include as "ns3/opengym-module.h").
#ifndef NS3TS_OPENGYM_MODULE_H
#define NS3TS_OPENGYM_MODULE_H

#include "container.h"
#include "opengym-env.h"
#include "opengym-helper.h"
#include "opengym-interface.h"
#include "spaces.h"

#endif // NS3TS_OPENGYM_MODULE_H
