#include "feedd/store/store.hpp"
