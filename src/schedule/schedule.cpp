#include "feedd/schedule/schedule.hpp"
