#include "common/version.h"

namespace msx {

const char* BuildRevision() { return MSX_REVISION; }

}  // namespace msx
