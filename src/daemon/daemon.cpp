#include "feedd/daemon/daemon.hpp"
