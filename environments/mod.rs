//! This repository's environments: the registry `slipway` reads, and the example a new team copies.
//!
//! A web app (`webapp`, a frontend and a backend) runs in four permanent environments, promoted
//! dev -> test -> staging -> prod, plus throwaway feature-demo instances made from a name at run time.

use crate::model::{Group, Project, Repository};

mod dev;
mod feature_demo;
mod prod;
mod staging;
mod test;

pub use feature_demo::feature_demo;

/// The people who approve releases into test and staging.
pub fn qa() -> Group {
    Group::new("qa", ["amara", "jonas"])
}

/// The people who approve releases into production.
pub fn release_managers() -> Group {
    Group::new("release-managers", ["priya", "mateo", "ines"])
}

/// The project: every permanent environment, and the factory of demo instances.
pub fn project() -> Project {
    Project::new("webapp", Repository::new("slipway-examples", "webapp"))
        .environment(dev::dev())
        .environment(test::test())
        .environment(staging::staging())
        .environment(prod::prod())
        .demos_from(feature_demo)
        .stacks_from(crate::stacks::for_environment)
}
