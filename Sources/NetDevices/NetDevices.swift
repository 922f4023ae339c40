import Datapath
