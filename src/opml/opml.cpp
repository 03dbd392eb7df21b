#include "feedd/opml/opml.hpp"
