// SPDX-License-Identifier: MIT
#include "config/index_config.h"
