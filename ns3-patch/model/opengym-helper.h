// ns3-gym ships an (empty) opengym-helper.h that scenarios include; kept for source compatibility.
#ifndef NS3TS_OPENGYM_HELPER_H
#define NS3TS_OPENGYM_HELPER_H

#include "opengym-interface.h"

#endif // NS3TS_OPENGYM_HELPER_H
