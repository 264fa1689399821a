// SPDX-License-Identifier: MIT
#include "config/peer_config.h"
