import Datapath
import Flow
