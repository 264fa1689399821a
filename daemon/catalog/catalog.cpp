// SPDX-License-Identifier: MIT
#include "catalog/catalog.h"
