#include "feedd/fetch/fetch.hpp"
